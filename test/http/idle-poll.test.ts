// An idle worker's /task poll: answered from one read while the database has not changed since
// the last search found nothing for that worker; any change (here or by another process) searches again.
import { describe, expect, it, vi } from 'vitest';
import { Manager } from '../../src/core/manager';
import { openDatabase } from '../../src/db/open';
import { customJob, registerWorker, testServer } from '../helpers/env';
import { registerF3 } from '../helpers/f3-worker';

describe('idle /task poll', () => {
  it('searches the queue again only once the database changed', async () => {
    const s = await testServer();
    const m = s.manager;
    const w = await registerWorker(s.url, { types: ['sleep', 'debug'] });
    const searches = vi.spyOn(m.repos.tasks, 'nextForType');
    // A job this worker cannot run: the queue is not empty, but nothing in it is for this worker.
    m.jobs.submit(customJob([{ name: 'other', type: 'file-management' }]));
    expect((await w.call('POST', '/task')).status).toBe(204);
    const first = searches.mock.calls.length;
    expect(first).toBe(2);
    for (let i = 0; i < 3; i++) expect((await w.call('POST', '/task')).status).toBe(204);
    expect(searches.mock.calls.length).toBe(first);

    // A job submitted by another process (the CLI opens the database itself).
    const otherDb = openDatabase(s.dataDir);
    try {
      new Manager({ db: otherDb, dataDir: s.dataDir, clock: s.clock }).jobs.submit(customJob([{ name: 'from-cli', type: 'debug' }]));
    } finally {
      otherDb.close();
    }
    const got = await w.call('POST', '/task');
    expect(got.status).toBe(200);
    expect(got.json.name).toBe('from-cli');
    expect(searches.mock.calls.length).toBeGreaterThan(first);
  });

  it("a change made here (a new job, the worker's own tags) is seen by the next poll", async () => {
    const s = await testServer();
    const m = s.manager;
    const w = await registerWorker(s.url, { types: ['sleep'] });
    m.jobs.submit(customJob([{ name: 'tagged', type: 'sleep' }], { tag: 'gpu' }));
    expect((await w.call('POST', '/task')).status).toBe(204);
    expect((await w.call('POST', '/task')).status).toBe(204);
    m.workerTags.change(w.id, { add: 'gpu' });
    const tagged = await w.call('POST', '/task');
    expect(tagged.status).toBe(200);
    expect(tagged.json.name).toBe('tagged');
    expect((await w.call('POST', `/tasks/${tagged.json._id}/update`, { task_status: 'completed' })).status).toBe(204);
    expect((await w.call('POST', '/task')).status).toBe(204);
    m.jobs.submit(customJob([{ name: 'next', type: 'sleep' }]));
    expect((await w.call('POST', '/task')).json?.name).toBe('next');
  });

  it("a Flamenco 3 worker's idle poll opens no transaction either", async () => {
    const s = await testServer();
    const m = s.manager;
    const w = await registerF3(s.url);
    expect((await w.call('POST', '/task')).status).toBe(204);
    await m.batch.committed();
    const before = m.batch.commits;
    for (let i = 0; i < 3; i++) expect((await w.call('POST', '/task')).status).toBe(204);
    expect(m.batch.commits).toBe(before);
  });

  it('reads the worker from memory while nothing changed, and sees a status request another process made at the next poll', async () => {
    const s = await testServer();
    const m = s.manager;
    const w = await registerWorker(s.url, { types: ['sleep'] });
    // The first poll marks the worker awake (a write): the second reads it again.
    for (let i = 0; i < 2; i++) expect((await w.call('POST', '/task')).status).toBe(204);
    await m.batch.committed();
    const reads = vi.spyOn(m.repos.workers, 'get');
    for (let i = 0; i < 3; i++) expect((await w.call('POST', '/task')).status).toBe(204);
    expect(reads).not.toHaveBeenCalled();

    // request-status from the CLI: another process on the same database.
    const otherDb = openDatabase(s.dataDir);
    try {
      new Manager({ db: otherDb, dataDir: s.dataDir, clock: s.clock }).workers.requestStatus(w.id, 'asleep');
    } finally {
      otherDb.close();
    }
    const told = await w.call('POST', '/task');
    expect(told.status).toBe(423);
    expect(told.json).toEqual({ status_requested: 'asleep' });
  });
});
