// A worker forgotten (forget-worker, run by another process) while it runs a task: every answer
// it gets from then on is one the real worker acts on, ending with it shut down or registered anew.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/support/logger';
import { registerWorker, request, testManager, testServer } from '../helpers/env';
import { claim, expectBasicChallenge, expectError, submitJob, taskRec } from '../helpers/protocol';

describe('a worker forgotten while it runs a task', { timeout: 30_000 }, () => {
  it('is told to stop and shut down, its updates are dropped, and it can register anew', async () => {
    const lines: string[] = [];
    const s = await testServer({ logger: createLogger('info', (l) => lines.push(l)) });
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const other = await registerWorker(s.url);
    expect((await claim(w))._id).toBe(ids.a);

    // forget-worker from the CLI: another process on the same data directory.
    expect(testManager({ dataDir: s.dataDir, clock: s.clock }).manager.workers.forget(w.id)).toBe(1);
    expect(taskRec(s, ids.a!).status).toBe('queued');

    // Its next /may-i-run: a body the worker parses (exactly these keys), telling it to stop.
    const may = await w.call('GET', `/may-i-run/${ids.a}`);
    expect(may.json).toEqual({ may_keep_running: false, reason: expect.any(String), status_requested: 'shutdown' });
    // Its queued updates get a status the worker drops instead of retrying forever.
    expectError(await w.call('POST', `/tasks/${ids.a}/update`, { task_status: 'active', log: 'still rendering' }), 409);
    expect((await w.call('POST', `/tasks/${ids.a}/return`)).status).toBe(204);
    // An idle forgotten worker is told to shut down by /task (asleep ones by /status-change).
    const task = await w.call('POST', '/task');
    expect(task.status).toBe(423);
    expect(task.json).toEqual({ status_requested: 'shutdown' });
    expect((await w.call('GET', '/status-change')).json).toEqual({ status_requested: 'shutdown' });
    // Nothing it said changed the task, which went to another worker.
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'queued', worker_id: null });
    expect((await claim(other))._id).toBe(ids.a);

    // Started again (by its supervisor), it signs on, gets 401 and registers anew.
    expectBasicChallenge(await w.call('POST', '/sign-on', { supported_task_types: ['sleep'], nickname: 'again' }));
    const reg = await request(s.url, 'POST', '/register-worker', {
      body: { secret: w.secret, platform: 'linux', supported_task_types: ['sleep'], nickname: 'again' },
    });
    expect(reg.status).toBe(200);
    expect(reg.json._id).not.toBe(w.id);
    // The admin's log says that the old credentials were refused: one line for all those requests.
    const refused = lines.filter((l) => l.includes('worker credentials refused'));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toContain(`worker=${w.id}`);
    expect(refused[0]).toContain('no such worker here, or a wrong secret');
  });
});
