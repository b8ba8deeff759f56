// POST /tasks/{id}/return and GET /may-i-run/{id}.
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { claim, expectError, NOT_IDS, submitJob, taskRec, UNKNOWN_ID, workerRec } from '../helpers/protocol';

async function running() {
  const s = await testServer();
  const { jobId, ids } = submitJob(s, [{ name: 'a' }, { name: 'b' }]);
  const w = await registerWorker(s.url, { nickname: 'runner' });
  const t = await claim(w);
  return { s, w, jobId, id: t._id as string, ids };
}

describe('POST /tasks/{id}/return', { timeout: 30_000 }, () => {
  it('puts the active task back in the queue with the protocol activity', async () => {
    const { s, w, id } = await running();
    const r = await w.call('POST', `/tasks/${id}/return`);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(taskRec(s, id)).toMatchObject({
      status: 'queued',
      worker_id: null,
      activity: `Re-queued task after unassigning from worker runner (${w.id}): returned by worker`,
    });
    expect(workerRec(s, w.id).current_task).toBeNull();
    // Dispatch order puts it first again.
    const w2 = await registerWorker(s.url);
    expect((await claim(w2))._id).toBe(id);
  });

  it('answers 404 with a JSON body for an unknown task', async () => {
    const { w } = await running();
    expectError(await w.call('POST', `/tasks/${UNKNOWN_ID}/return`), 404, `Task ${UNKNOWN_ID} is unknown.`);
    for (const bad of NOT_IDS) expectError(await w.call('POST', `/tasks/${bad}/return`), 404);
  });

  it("answers 204 and changes nothing for another worker's task", async () => {
    const { s, id, ids } = await running();
    const other = await registerWorker(s.url);
    const before = taskRec(s, id);
    expect((await other.call('POST', `/tasks/${id}/return`)).status).toBe(204);
    expect(taskRec(s, id)).toEqual(before);
    // A queued task nobody holds stays queued too.
    const queued = taskRec(s, ids.b!);
    expect((await other.call('POST', `/tasks/${ids.b}/return`)).status).toBe(204);
    expect(taskRec(s, ids.b!)).toEqual(queued);
  });

  it('answers 204 and changes nothing for its own completed task', async () => {
    const { s, w, id } = await running();
    await w.call('POST', `/tasks/${id}/update`, { task_status: 'completed' });
    const before = taskRec(s, id);
    expect((await w.call('POST', `/tasks/${id}/return`)).status).toBe(204);
    expect(taskRec(s, id)).toEqual(before);
  });

  it('cancels a cancel-requested task', async () => {
    const { s, w, id } = await running();
    s.manager.state.setTaskStatus(taskRec(s, id), 'cancel-requested');
    expect((await w.call('POST', `/tasks/${id}/return`)).status).toBe(204);
    expect(taskRec(s, id).status).toBe('canceled');
  });

  it('is harmless when sent twice', async () => {
    const { s, w, id } = await running();
    expect((await w.call('POST', `/tasks/${id}/return`)).status).toBe(204);
    expect((await w.call('POST', `/tasks/${id}/return`)).status).toBe(204);
    expect(taskRec(s, id).status).toBe('queued');
  });
});

const mayIRun = async (w: { call: (m: string, p: string) => Promise<any> }, id: string) => {
  const r = await w.call('GET', `/may-i-run/${id}`);
  expect(r.status, r.text).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  return r.json;
};

describe('GET /may-i-run/{id}', { timeout: 30_000 }, () => {
  it('says yes with only may_keep_running, and refreshes the ping', async () => {
    const { s, w, id } = await running();
    s.clock.advance(60_000);
    const body = await mayIRun(w, id);
    expect(body).toEqual({ may_keep_running: true });
    expect(Object.keys(body)).toEqual(['may_keep_running']);
    expect(taskRec(s, id).last_worker_ping).toBe(s.clock.now());
    expect(workerRec(s, w.id).last_seen).toBe(s.clock.now());
  });

  it('rule 1: an unknown task → no, "unable to find task <id>"', async () => {
    const { w } = await running();
    const body = await mayIRun(w, UNKNOWN_ID);
    expect(body).toEqual({ may_keep_running: false, reason: `unable to find task ${UNKNOWN_ID}` });
    expect(Object.keys(body).sort()).toEqual(['may_keep_running', 'reason']);
  });

  it('rule 2: a task of another worker → no, "task <id> reassigned to another worker"', async () => {
    const { s, id, ids } = await running();
    const other = await registerWorker(s.url);
    expect(await mayIRun(other, id)).toEqual({ may_keep_running: false, reason: `task ${id} reassigned to another worker` });
    // Also for a queued task nobody holds; and nothing is touched.
    const before = taskRec(s, ids.b!);
    expect(await mayIRun(other, ids.b!)).toEqual({ may_keep_running: false, reason: `task ${ids.b} reassigned to another worker` });
    expect(taskRec(s, ids.b!)).toEqual(before);
  });

  it('rule 2 also after the task was returned', async () => {
    const { w, id } = await running();
    await w.call('POST', `/tasks/${id}/return`);
    expect(await mayIRun(w, id)).toEqual({ may_keep_running: false, reason: `task ${id} reassigned to another worker` });
  });

  it.each(['cancel-requested', 'completed', 'canceled'] as const)('rule 3: a %s task → no, "in non-runnable status"', async (status) => {
    const { s, w, id } = await running();
    s.manager.state.setTaskStatus(taskRec(s, id), status);
    expect(await mayIRun(w, id)).toEqual({ may_keep_running: false, reason: `task ${id} in non-runnable status ${status}` });
  });

  it.each(['asleep', 'shutdown'] as const)('rule 4: an immediate %s request → no, with status_requested', async (status) => {
    const { s, w, id } = await running();
    s.manager.workers.requestStatus(w.id, status);
    const body = await mayIRun(w, id);
    expect(body).toEqual({ may_keep_running: false, reason: `worker status change to ${status} requested`, status_requested: status });
    expect(Object.keys(body).sort()).toEqual(['may_keep_running', 'reason', 'status_requested']);
  });

  it.each(['asleep', 'shutdown', 'awake'] as const)('a lazy %s request lets the task run, with status_requested', async (status) => {
    const { s, w, id } = await running();
    s.manager.workers.requestStatus(w.id, status, { lazy: true });
    const body = await mayIRun(w, id);
    expect(body).toEqual({ may_keep_running: true, status_requested: status });
    expect(Object.keys(body).sort()).toEqual(['may_keep_running', 'status_requested']);
    // The worker picks the request up at its next /task, after the task ends.
    await w.call('POST', `/tasks/${id}/update`, { task_status: 'completed' });
    const next = await w.call('POST', '/task');
    expect(next.status).toBe(423);
    expect(next.json).toEqual({ status_requested: status });
  });

  it('an immediate awake request does not stop the task', async () => {
    const { s, w, id } = await running();
    s.manager.workers.requestStatus(w.id, 'awake');
    expect(await mayIRun(w, id)).toEqual({ may_keep_running: true, status_requested: 'awake' });
  });

  it('the first matching rule decides, and status_requested rides along', async () => {
    const { s, w, id } = await running();
    s.manager.workers.requestStatus(w.id, 'shutdown');
    expect(await mayIRun(w, UNKNOWN_ID)).toEqual({ may_keep_running: false, reason: `unable to find task ${UNKNOWN_ID}`, status_requested: 'shutdown' });
    s.manager.state.setTaskStatus(taskRec(s, id), 'cancel-requested');
    expect(await mayIRun(w, id)).toEqual({ may_keep_running: false, reason: `task ${id} in non-runnable status cancel-requested`, status_requested: 'shutdown' });
  });

  it('marks the worker seen and awake, unless it is testing', async () => {
    const { s, w, id } = await running();
    await w.call('POST', '/sign-on', {});
    expect(workerRec(s, w.id).status).toBe('starting');
    await mayIRun(w, id);
    expect(workerRec(s, w.id).status).toBe('awake');
    await w.call('POST', '/ack-status-change/testing');
    await mayIRun(w, id);
    expect(workerRec(s, w.id).status).toBe('testing');
  });

  it('answers ids that are not 24 hex with 404', async () => {
    const { w } = await running();
    for (const bad of NOT_IDS) expectError(await w.call('GET', `/may-i-run/${bad}`), 404);
  });
});
