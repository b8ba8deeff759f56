// POST /tasks/{id}/update: check order (404, 409, 400), what is stored, and status handling.
import { describe, expect, it } from 'vitest';
import { SEEN_WRITE_INTERVAL_MS } from '../../src/core/protocol/workers';
import { registerWorker, testServer } from '../helpers/env';
import { claim, expectError, rawRequest, readLog, submitJob, taskRec, UNKNOWN_ID, workerRec } from '../helpers/protocol';

async function oneTask(config = {}) {
  const s = await testServer({ config });
  const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
  const w = await registerWorker(s.url, { nickname: 'owner' });
  await claim(w);
  return { s, w, jobId, id: ids.a! };
}

const post = (url: string, auth: string, id: string, body: string) =>
  rawRequest(url, 'POST', `/tasks/${id}/update`, { headers: { Authorization: auth, 'Content-Type': 'application/json' }, body });

describe('POST /tasks/{id}/update: 404 and 409 come first', { timeout: 30_000 }, () => {
  it('answers 404 "Task <id> is unknown." for an unknown task, whatever the body', async () => {
    const { s, w } = await oneTask();
    for (const body of ['{"activity": "x"}', '{not json', '[]']) {
      expectError(await post(s.url, w.auth, UNKNOWN_ID, body), 404, `Task ${UNKNOWN_ID} is unknown.`);
    }
  });

  it("answers 409 for another worker's task, whatever the body, and stores nothing", async () => {
    const { s, jobId, id } = await oneTask();
    const other = await registerWorker(s.url);
    const before = taskRec(s, id);
    const logBefore = await readLog(s, jobId, id);
    for (const body of [JSON.stringify({ task_status: 'completed', activity: 'hijack', log: 'intruder', task_progress_percentage: 99 }), '{not json', '"x"']) {
      expectError(await post(s.url, other.auth, id, body), 409, `Task ${id} is assigned to another worker.`);
    }
    expect(taskRec(s, id)).toEqual(before);
    expect(await readLog(s, jobId, id)).toBe(logBefore);
    expect(workerRec(s, other.id).current_task_status).toBeNull();
  });

  it('answers 409 for a queued task nobody holds: updating does not claim it', async () => {
    const s = await testServer();
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    expectError(await w.call('POST', `/tasks/${ids.a}/update`, { task_status: 'active' }), 409);
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'queued', worker_id: null });
  });
});

describe('POST /tasks/{id}/update: 400 for bad bodies of the own task', { timeout: 30_000 }, () => {
  it.each([
    ['malformed JSON', '{"activity": '],
    ['an empty body', ''],
    ['a JSON array', '[{"activity": "x"}]'],
    ['a JSON string', '"done"'],
    ['JSON null', 'null'],
    ['a number', '42'],
    ['an unknown task_status', '{"task_status": "done"}'],
    ['task_status queued', '{"task_status": "queued"}'],
    ['task_status soft-failed', '{"task_status": "soft-failed"}'],
    ['task_status cancel-requested', '{"task_status": "cancel-requested"}'],
    ['a non-string task_status', '{"task_status": 1}'],
    ['a non-string activity', '{"activity": ["a"]}'],
    ['a non-string log', '{"log": 5}'],
    ['a string progress', '{"task_progress_percentage": "50"}'],
    ['a boolean command index', '{"current_command_idx": true}'],
    ['an object command progress', '{"command_progress_percentage": {}}'],
    ['an infinite progress', '{"task_progress_percentage": 1e999}'],
    ['metrics as a string', '{"metrics": "fast"}'],
    ['metrics as an array', '{"metrics": []}'],
    ['metrics.timing as an array', '{"metrics": {"timing": [1, 2]}}'],
    ['a non-number timing', '{"metrics": {"timing": {"render": "12s"}}}'],
  ])('answers 400 for %s and stores nothing', async (_what, body) => {
    const { s, w, jobId, id } = await oneTask();
    const before = taskRec(s, id);
    const logBefore = await readLog(s, jobId, id);
    const r = await post(s.url, w.auth, id, body);
    expectError(r, 400);
    expect(r.json.error.message.length).toBeGreaterThan(5);
    expect(taskRec(s, id)).toEqual(before);
    expect(await readLog(s, jobId, id)).toBe(logBefore);
  });

  it('says which field is wrong', async () => {
    const { s, w, id } = await oneTask();
    expectError(await post(s.url, w.auth, id, '{"task_status": "done"}'), 400, /task_status/);
    expectError(await post(s.url, w.auth, id, '{"activity": 3}'), 400, /activity/);
    expectError(await post(s.url, w.auth, id, '{"metrics": {"timing": {"render": "x"}}}'), 400, /timing/);
  });
});

describe('POST /tasks/{id}/update: what a 204 stores', { timeout: 30_000 }, () => {
  it('appends the log with a final newline and keeps a tail on the task', async () => {
    const { s, w, jobId, id } = await oneTask();
    const assigned = await readLog(s, jobId, id);
    expect((await w.call('POST', `/tasks/${id}/update`, { log: 'line one\nline two' })).status).toBe(204);
    expect((await w.call('POST', `/tasks/${id}/update`, { log: 'line three\n' })).status).toBe(204);
    expect((await w.call('POST', `/tasks/${id}/update`, { log: '' })).status).toBe(204);
    expect(await readLog(s, jobId, id)).toBe(`${assigned}line one\nline two\nline three\n`);
    expect(taskRec(s, id).log_tail).toContain('line one\nline two\nline three');
  });

  it('stores activity, progress, timing metrics and the pings', async () => {
    const { s, w, id } = await oneTask();
    s.clock.advance(12_000);
    const r = await w.call('POST', `/tasks/${id}/update`, {
      task_status: 'active',
      activity: 'rendering frame 3',
      task_progress_percentage: 40,
      current_command_idx: 1,
      command_progress_percentage: 55.5,
      metrics: { timing: { download: 1.25, render: 30 } },
      unknown_field: { anything: true },
    });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(taskRec(s, id)).toMatchObject({
      status: 'active',
      activity: 'rendering frame 3',
      task_progress: 40,
      command_idx: 1,
      command_progress: 55.5,
      metrics: { timing: { download: 1.25, render: 30 } },
      last_worker_ping: s.clock.now(),
    });
    // `active` is what the hand-out wrote on the worker row 12 s ago: only the task's row changes.
    expect(workerRec(s, w.id)).toMatchObject({ current_task_status: 'active', current_task_updated: s.clock.now() - 12_000 });
    // 12 s after the last write of last_seen: the database's may lag, what serve heard is exact.
    expect(s.manager.workers.lastHeard(workerRec(s, w.id))).toBe(s.clock.now());
  });

  it("writes the worker's last_seen at most once per update, and not at all within SEEN_WRITE_INTERVAL_MS of the last write", async () => {
    const { s, w, id } = await oneTask();
    s.db.exec(`CREATE TEMP TABLE seen_writes (at INTEGER);
      CREATE TEMP TRIGGER count_seen AFTER UPDATE OF last_seen ON workers BEGIN INSERT INTO seen_writes VALUES (new.last_seen); END;`);
    const writes = s.db.prepare('SELECT COUNT(*) FROM seen_writes').pluck();
    expect((await w.call('POST', `/tasks/${id}/update`, { activity: 'a' })).status).toBe(204);
    expect(writes.get()).toBe(0);
    s.clock.advance(SEEN_WRITE_INTERVAL_MS);
    expect((await w.call('POST', `/tasks/${id}/update`, { activity: 'b' })).status).toBe(204);
    expect(writes.get()).toBe(1);
    expect(workerRec(s, w.id).last_seen).toBe(s.clock.now());
  });

  it('accepts an update with only null fields', async () => {
    const { s, w, id } = await oneTask();
    const r = await w.call('POST', `/tasks/${id}/update`, { task_status: null, activity: null, log: null, metrics: null });
    expect(r.status).toBe(204);
    expect(taskRec(s, id).status).toBe('active');
  });
});

describe('POST /tasks/{id}/update: task status', { timeout: 30_000 }, () => {
  it('completes the task and, with it, the job', async () => {
    const { s, w, jobId, id } = await oneTask();
    expect((await w.call('POST', `/tasks/${id}/update`, { task_status: 'completed', activity: 'done' })).status).toBe(204);
    expect(taskRec(s, id)).toMatchObject({ status: 'completed', activity: 'done' });
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('completed');
    expect(workerRec(s, w.id).current_task).toBeNull();
  });

  it('answers a late update for a completed task with 204, appends the log and changes no status', async () => {
    const { s, w, jobId, id } = await oneTask();
    expect((await w.call('POST', `/tasks/${id}/update`, { task_status: 'completed' })).status).toBe(204);
    for (const task_status of ['active', 'failed', 'canceled', 'completed']) {
      const r = await w.call('POST', `/tasks/${id}/update`, { task_status, log: `late ${task_status}` });
      expect(r.status).toBe(204);
    }
    expect(taskRec(s, id).status).toBe('completed');
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('completed');
    expect(await readLog(s, jobId, id)).toContain('late failed\n');
  });

  it('treats an update for a returned task as done (204 or 409) and changes nothing', async () => {
    const { s, w, id } = await oneTask();
    expect((await w.call('POST', `/tasks/${id}/return`)).status).toBe(204);
    const r = await w.call('POST', `/tasks/${id}/update`, { task_status: 'completed' });
    expect([204, 409]).toContain(r.status);
    expect(taskRec(s, id)).toMatchObject({ status: 'queued', worker_id: null });
  });

  it.each(['completed', 'failed', 'canceled'])('turns a cancel-requested task into canceled on %s', async (task_status) => {
    const { s, w, jobId, id } = await oneTask();
    s.manager.state.setTaskStatus(taskRec(s, id), 'cancel-requested');
    expect((await w.call('POST', `/tasks/${id}/update`, { task_status, activity: 'Task completed' })).status).toBe(204);
    expect(taskRec(s, id)).toMatchObject({ status: 'canceled', activity: 'canceled; the worker said: Task completed' });
    expect(s.manager.repos.taskFailures.list(id)).toEqual([]);
    expect(s.manager.repos.jobs.get(jobId)!.status).not.toBe('completed');
  });

  it('keeps a cancel-requested task waiting on an active report', async () => {
    const { s, w, id } = await oneTask();
    s.manager.state.setTaskStatus(taskRec(s, id), 'cancel-requested');
    expect((await w.call('POST', `/tasks/${id}/update`, { task_status: 'active', log: 'still going' })).status).toBe(204);
    expect(taskRec(s, id).status).toBe('cancel-requested');
  });

  it('lets the worker cancel its own active task', async () => {
    const { s, w, id } = await oneTask();
    expect((await w.call('POST', `/tasks/${id}/update`, { task_status: 'canceled' })).status).toBe(204);
    expect(taskRec(s, id).status).toBe('canceled');
  });

  it('soft-fails a failed task when another capable worker exists, and hands it to that worker', async () => {
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    const w1 = await registerWorker(s.url, { nickname: 'w1' });
    const w2 = await registerWorker(s.url, { nickname: 'w2' });
    await claim(w1);
    expect((await w1.call('POST', `/tasks/${ids.a}/update`, { task_status: 'failed', activity: 'exit code 1' })).status).toBe(204);
    const t = taskRec(s, ids.a!);
    expect(t.status).toBe('soft-failed');
    expect(t.worker_id).toBeNull();
    expect(t.activity).toContain('exit code 1');
    expect(s.manager.repos.taskFailures.list(ids.a!)).toEqual([{ worker_id: w1.id, identifier: `w1 (${w1.id})` }]);
    expect(s.manager.repos.jobs.get(jobId)!.status).not.toBe('failed');
    expect((await claim(w2))._id).toBe(ids.a);
  });

  it('fails the task (and a one-task job) when no other capable worker exists', async () => {
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a', type: 'blender-render' }]);
    const w1 = await registerWorker(s.url, { types: ['blender-render'] });
    await registerWorker(s.url, { types: ['ffmpeg'] }); // cannot run it
    await claim(w1);
    expect((await w1.call('POST', `/tasks/${ids.a}/update`, { task_status: 'failed' })).status).toBe(204);
    expect(taskRec(s, ids.a!).status).toBe('failed');
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('failed');
  });

  it('fails the task once task_fail_after_softfail_count workers failed it', async () => {
    const s = await testServer({ config: { task_fail_after_softfail_count: 2 } });
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const [w1, w2] = [await registerWorker(s.url), await registerWorker(s.url)];
    await registerWorker(s.url); // a third capable worker exists throughout
    await claim(w1);
    await w1.call('POST', `/tasks/${ids.a}/update`, { task_status: 'failed' });
    expect(taskRec(s, ids.a!).status).toBe('soft-failed');
    await claim(w2);
    await w2.call('POST', `/tasks/${ids.a}/update`, { task_status: 'failed' });
    expect(taskRec(s, ids.a!).status).toBe('failed');
  });

  it('accepts a log update of 2 000 lines of about 200 characters', async () => {
    const { s, w, jobId, id } = await oneTask();
    const lines = Array.from({ length: 2000 }, (_, i) => `${String(i).padStart(4, '0')} ${'x'.repeat(195)}`);
    const r = await w.call('POST', `/tasks/${id}/update`, { log: lines.join('\n'), activity: 'big log' });
    expect(r.status).toBe(204);
    const log = await readLog(s, jobId, id);
    expect(log.endsWith(`${lines[1999]}\n`)).toBe(true);
    expect(log.split('\n').length).toBe(2000 + 2);
  });
});

describe('POST /tasks/{id}/update: reports after the task ended only log', { timeout: 30_000 }, () => {
  it("keeps a failed task's reason, status and progress when the worker's delayed update comes", async () => {
    const { s, w, jobId, id } = await oneTask();
    await w.call('POST', `/tasks/${id}/update`, { task_status: 'active', task_progress_percentage: 30 });
    const failed = { task_status: 'failed', activity: "filepath '/proj/missing.blend' does not exist" };
    expect((await w.call('POST', `/tasks/${id}/update`, failed)).status).toBe(204);
    const ended = taskRec(s, id);
    expect(ended).toMatchObject({ status: 'failed', worker_id: w.id, task_progress: 30 });
    expect(ended.activity).toContain('does not exist');
    // What Flamenco Worker sends about 15 s later.
    const late = { activity: '', task_progress_percentage: 0, command_progress_percentage: 0, current_command_idx: 0, log: 'late line' };
    expect((await w.call('POST', `/tasks/${id}/update`, late)).status).toBe(204);
    expect(taskRec(s, id)).toMatchObject({ status: 'failed', activity: ended.activity, task_progress: 30, command_idx: ended.command_idx });
    expect(await readLog(s, jobId, id)).toContain('late line\n');
    expect(taskRec(s, id).log_tail).toContain('late line');
  });

  it.each(['completed', 'canceled'] as const)('keeps a %s task as it was', async (end) => {
    const { s, w, id } = await oneTask();
    expect((await w.call('POST', `/tasks/${id}/update`, { task_status: end, activity: 'the end' })).status).toBe(204);
    const before = taskRec(s, id);
    expect((await w.call('POST', `/tasks/${id}/update`, { task_status: 'failed', activity: 'late', task_progress_percentage: 5 })).status).toBe(204);
    expect(taskRec(s, id)).toMatchObject({ status: end, activity: before.activity, task_progress: before.task_progress });
  });

  it("logs a former runner's late lines in its own run after a soft failure and a new assignment (409 all the same), and changes nothing else", async () => {
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    const id = ids.a!;
    const w1 = await registerWorker(s.url, { nickname: 'w1' });
    const w2 = await registerWorker(s.url, { nickname: 'w2' });
    await claim(w1);
    expect((await w1.call('POST', `/tasks/${id}/update`, { task_status: 'failed', activity: 'exit code 1' })).status).toBe(204);
    const soft = taskRec(s, id);
    expect(soft).toMatchObject({ status: 'soft-failed', worker_id: null });
    // Not its task any more (409, as before), but its lines are logged, and nothing else changes.
    expectError(await w1.call('POST', `/tasks/${id}/update`, { activity: '', log: 'w1 late one' }), 409, `Task ${id} is assigned to another worker.`);
    expect(taskRec(s, id)).toMatchObject({ status: 'soft-failed', activity: soft.activity });
    expect(await readLog(s, jobId, id)).toContain('w1 late one\n');
    // Handed to w2: w1's next late lines go to w1's run, not to w2's.
    expect((await claim(w2))._id).toBe(id);
    const w2Run = await readLog(s, jobId, id);
    expectError(await w1.call('POST', `/tasks/${id}/update`, { task_status: 'failed', activity: 'x', log: 'w1 late two' }), 409);
    await s.manager.taskLogs.idle();
    expect(await readLog(s, jobId, id)).toBe(w2Run);
    expect(await readLog(s, jobId, id, '.1')).toMatch(/w1 late one\nw1 late two\n$/);
    expect(taskRec(s, id)).toMatchObject({ status: 'active', worker_id: w2.id });
  });
});
