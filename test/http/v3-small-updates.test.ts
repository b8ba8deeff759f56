// A Flamenco 3 worker sends four updates per task where Worker 2.5 sends two: its step, log and
// activity updates must each cost little, and still be on disk when answered.
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testServer } from '../helpers/env';
import { expectNoContent, f3Claim, registerF3 } from '../helpers/f3-worker';
import { logPath, submitJob, taskRec } from '../helpers/protocol';
import { countStatements } from '../helpers/statements';

async function runningTask() {
  const s = await testServer();
  const w = await registerF3(s.url);
  const { jobId } = submitJob(s, [{ name: 'a' }, { name: 'b' }]);
  const t = await f3Claim(w);
  expectNoContent(await w.call('POST', `/task/${t.uuid}`, { activity: 'Started', taskStatus: 'active' }));
  await s.manager.taskLogs.idle();
  // Counts what the worker row and the farm's events receive from here on.
  s.db.exec(`CREATE TEMP TABLE worker_writes (n INTEGER);
    CREATE TEMP TRIGGER count_worker_writes AFTER UPDATE ON workers BEGIN INSERT INTO worker_writes VALUES (1); END;`);
  const workerWrites = s.db.prepare('SELECT COUNT(*) FROM worker_writes').pluck();
  const lastEvent = s.db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck();
  return { s, w, jobId, id: t.uuid as string, workerWrites, lastEvent };
}

describe('/api/v3/worker/task/{id}: small updates', { timeout: 30_000 }, () => {
  it('a step reads the task once and writes its row only: no log file, no worker row, no event', async () => {
    const { s, w, jobId, id, workerWrites, lastEvent } = await runningTask();
    const log = statSync(logPath(s, jobId, id));
    const events = lastEvent.get();
    const taskReads = countStatements(s.db, /^SELECT \* FROM tasks WHERE id = \?/);

    expectNoContent(await w.call('POST', `/task/${id}`, { activity: 'Progress', steps_completed: 1 }));

    expect(taskReads.count()).toBe(1);
    expect(taskRec(s, id)).toMatchObject({ task_progress: 100, activity: 'Progress', last_worker_ping: s.clock.now() });
    expect(workerWrites.get()).toBe(0);
    expect(lastEvent.get()).toBe(events);
    await s.manager.taskLogs.idle();
    const after = statSync(logPath(s, jobId, id));
    expect([after.size, after.mtimeMs]).toEqual([log.size, log.mtimeMs]);
  });

  it('a step or a log chunk takes no savepoint of its own: no more than a request that writes nothing (GET /state)', async () => {
    const { s, w, id } = await runningTask();
    const savepoints = countStatements(s.db, /^SAVEPOINT/);
    expect((await w.call('GET', '/state')).status).toBe(204);
    const perRequest = savepoints.count();
    expectNoContent(await w.call('POST', `/task/${id}`, { activity: 'Progress', steps_completed: 1 }));
    expect(savepoints.count()).toBe(2 * perRequest);
    expectNoContent(await w.call('POST', `/task/${id}`, { log: 'pid=1 > hi\n' }));
    expect(savepoints.count()).toBe(3 * perRequest);
    expect(taskRec(s, id)).toMatchObject({ task_progress: 100, log_tail: expect.stringMatching(/pid=1 > hi$/) });
  });

  it('a log chunk writes the log and the task row, not the worker row', async () => {
    const { s, w, jobId, id, workerWrites } = await runningTask();
    const before = statSync(logPath(s, jobId, id)).size;
    expectNoContent(await w.call('POST', `/task/${id}`, { log: 'pid=1 > hi\n' }));
    await s.manager.taskLogs.idle();
    expect(statSync(logPath(s, jobId, id)).size).toBeGreaterThan(before);
    expect(taskRec(s, id).log_tail).toMatch(/pid=1 > hi$/);
    expect(workerWrites.get()).toBe(0);
  });

  it('"Started" (status active, as the hand-out wrote) changes only the task\'s row, in one statement without a savepoint', async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    submitJob(s, [{ name: 'a' }]);
    const t = await f3Claim(w);
    const workerWrites = countStatements(s.db, /^UPDATE workers/);
    const savepoints = countStatements(s.db, /^SAVEPOINT/);
    s.clock.advance(1000);
    expectNoContent(await w.call('POST', `/task/${t.uuid}`, { activity: 'Started', taskStatus: 'active' }));
    expect([workerWrites.count(), savepoints.count()]).toEqual([0, 0]);
    expect(taskRec(s, t.uuid)).toMatchObject({ status: 'active', activity: 'Started', last_worker_ping: s.clock.now() });
  });

  it("a status update still records the worker's task status", async () => {
    const { s, w, id, workerWrites } = await runningTask();
    expectNoContent(await w.call('POST', `/task/${id}`, { activity: 'Completed', taskStatus: 'completed' }));
    expect(taskRec(s, id).status).toBe('completed');
    expect(workerWrites.get()).toBeGreaterThan(0);
    expect(s.manager.repos.workers.get(w.id)).toMatchObject({ current_task_status: 'completed', current_task_updated: s.clock.now() });
  });

  it('a step for a task the worker no longer runs is a conflict and changes nothing', async () => {
    const { s, w, id } = await runningTask();
    expectNoContent(await w.call('POST', `/task/${id}`, { activity: 'Completed', taskStatus: 'completed' }));
    const r = await w.call('POST', `/task/${id}`, { activity: 'Progress', steps_completed: 0 });
    expect(r.status).toBe(409);
    expect(taskRec(s, id)).toMatchObject({ status: 'completed', task_progress: 0, activity: 'Completed' });
  });

  it('a bad step is refused after the checks of the task, and leaves no partial write', async () => {
    const { s, w, id } = await runningTask();
    const r = await w.call('POST', `/task/${id}`, { activity: 'Progress', steps_completed: 'one' });
    expect(r.status).toBe(400);
    expect(taskRec(s, id)).toMatchObject({ activity: 'Started', task_progress: 0 });
    expect((await w.call('POST', '/task/0123456789abcdef01234567', { steps_completed: 'one' })).status).toBe(404);
  });
});
