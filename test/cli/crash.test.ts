// A killed serve loses nothing it acknowledged: what was answered 204 is on disk.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open';
import { TaskLogs } from '../../src/core/protocol/task-logs';
import { basicAuth, registerWorker, tempDir } from '../helpers/env';
import { f3Claim, f3Request, registerF3 } from '../helpers/f3-worker';
import { runCli, startServe } from '../helpers/cli';
import path from 'node:path';

describe('serve killed with SIGKILL', () => {
  it('keeps every update it answered 204, and the next serve picks up from there', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const serve = await startServe(['--data-dir', dir]);
    const job = {
      name: 'crash',
      job_type: 'custom',
      tasks: [
        { name: 'a', task_type: 'sleep', commands: [{ name: 'echo', settings: {} }] },
        { name: 'b', task_type: 'sleep', commands: [{ name: 'echo', settings: {} }] },
      ],
    };
    expect((await runCli(['submit', '-', '--data-dir', dir], { input: JSON.stringify(job) })).code).toBe(0);
    const w = await registerWorker(serve.url);
    const a = await w.call('POST', '/task');
    expect(a.status).toBe(200);
    expect((await w.call('POST', `/tasks/${a.json._id}/update`, { task_status: 'completed', log: 'rendered frame 1' })).status).toBe(204);
    const b = await w.call('POST', '/task');
    expect((await w.call('POST', `/tasks/${b.json._id}/update`, { activity: 'half way', task_progress_percentage: 50, log: 'progress 50%' })).status).toBe(204);

    await serve.stop('SIGKILL');

    const db = openDatabase(dir);
    try {
      const row = (id: string) => db.prepare('SELECT status, activity, task_progress, worker_id FROM tasks WHERE id = ?').get(id) as Record<string, unknown>;
      expect(row(a.json._id)).toMatchObject({ status: 'completed', worker_id: w.id });
      expect(row(b.json._id)).toMatchObject({ status: 'active', activity: 'half way', task_progress: 50 });
    } finally {
      db.close();
    }
    const logs = new TaskLogs(path.join(dir, 'task-logs'));
    expect(readFileSync(logs.file(a.json.job, a.json._id), 'utf8')).toContain('rendered frame 1\n');
    expect(readFileSync(logs.file(b.json.job, b.json._id), 'utf8')).toContain('progress 50%\n');

    // The lock of the killed process is stale: a new serve starts, and the worker, restarted too
    // (it signs on), resumes its task.
    const again = await startServe(['--data-dir', dir]);
    const on = await fetch(`${again.url}/sign-on`, { method: 'POST', headers: { Authorization: w.auth, 'Content-Type': 'application/json' }, body: '{}' });
    expect(on.status).toBe(204);
    const r = await fetch(`${again.url}/task`, { method: 'POST', headers: { Authorization: w.auth } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { _id: string })._id).toBe(b.json._id);
    await again.stop();
  });
});

describe('serve killed with SIGKILL while a Flamenco 3 worker runs a task', () => {
  it('hands the task to nobody else, and the updates the worker queued meanwhile finish it once', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const serve = await startServe(['--data-dir', dir]);
    const job = { name: 'crash', job_type: 'custom', tasks: ['a', 'b'].map((name) => ({ name, task_type: 'sleep', commands: [{ name: 'echo', settings: { message: name } }] })) };
    expect((await runCli(['submit', '-', '--data-dir', dir], { input: JSON.stringify(job) })).code).toBe(0);
    const f3 = await registerF3(serve.url);
    const t = await f3Claim(f3);
    expect((await f3.call('POST', `/task/${t.uuid}`, { activity: 'Started', taskStatus: 'active' })).status).toBe(204);

    await serve.stop('SIGKILL');
    // The task ends on the worker while serve is down: its log and its completion wait in its queue.
    const again = await startServe(['--data-dir', dir]);
    const call = (method: string, p: string, body?: unknown) => f3Request(again.url, method, p, basicAuth(f3.id, f3.secret), body);
    const other = await registerF3(again.url);
    // Before the queue is flushed: the worker gets no new task, the other worker the other one.
    expect((await call('POST', '/task')).status).toBe(204);
    expect((await f3Claim(other)).uuid).not.toBe(t.uuid);
    expect((await call('POST', `/task/${t.uuid}`, { log: `pid=7 > ${t.name} done` })).status).toBe(204);
    expect((await call('POST', `/task/${t.uuid}`, { activity: 'Completed', taskStatus: 'completed' })).status).toBe(204);
    // Sent again (the worker could not see the first answer): refused, nothing changes.
    expect((await call('POST', `/task/${t.uuid}`, { activity: 'Completed', taskStatus: 'completed' })).status).toBe(409);
    await again.stop();
    // The restart said what it found: a database checked after an unclean stop, one task under way.
    expect(again.stderr()).toMatch(/started after a stop that was not clean .* running_tasks=1 /);

    const db = openDatabase(dir);
    try {
      expect(db.prepare('SELECT status, worker_id FROM tasks WHERE id = ?').get(t.uuid)).toMatchObject({ status: 'completed', worker_id: f3.id });
    } finally {
      db.close();
    }
    const log = readFileSync(new TaskLogs(path.join(dir, 'task-logs')).file(t.job, t.uuid), 'utf8');
    // Handed out once: no second assignment (the first one's line may not have reached the disk before the kill).
    expect((log.match(/Manager assigned task/g) ?? []).length).toBeLessThanOrEqual(1);
    expect(log).toMatch(/Z: pid=7 > \w done\n/);
  });
});
