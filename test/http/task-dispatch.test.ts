// Which task POST /task hands out: eligibility rules and the total dispatch order.
import { describe, expect, it } from 'vitest';
import { registerWorker, type TestWorker, testServer } from '../helpers/env';
import { claim, submitJob, taskRec } from '../helpers/protocol';

/** Fetches and completes tasks until the queue is empty; returns the names in hand-out order. */
async function drain(w: TestWorker): Promise<string[]> {
  const names: string[] = [];
  for (;;) {
    const r = await w.call('POST', '/task');
    if (r.status === 204) return names;
    expect(r.status).toBe(200);
    names.push(r.json.name);
    expect((await w.call('POST', `/tasks/${r.json._id}/update`, { task_status: 'completed' })).status).toBe(204);
  }
}

describe('POST /task: dispatch order and eligibility', { timeout: 30_000 }, () => {
  it('orders by job priority, task priority, job creation, task creation', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'low-1' }, { name: 'low-2', priority: 5 }], { priority: 10 });
    submitJob(s, [{ name: 'mid-a-1' }, { name: 'mid-a-2' }], { priority: 50 });
    s.clock.advance(1000);
    submitJob(s, [{ name: 'mid-b-1', priority: 1 }, { name: 'mid-b-2' }], { priority: 50 });
    submitJob(s, [{ name: 'high-1' }], { priority: 90 });
    const w = await registerWorker(s.url);
    expect(await drain(w)).toEqual(['high-1', 'mid-b-1', 'mid-a-1', 'mid-a-2', 'mid-b-2', 'low-2', 'low-1']);
  });

  it('waits for every parent to complete', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }, { name: 'b' }, { name: 'c', parents: ['a', 'b'], priority: 100 }]);
    const w1 = await registerWorker(s.url);
    const w2 = await registerWorker(s.url);
    const w3 = await registerWorker(s.url);
    const a = await claim(w1);
    const b = await claim(w2);
    expect((await w3.call('POST', '/task')).status).toBe(204);
    await w1.call('POST', `/tasks/${a._id}/update`, { task_status: 'completed' });
    expect((await w3.call('POST', '/task')).status).toBe(204);
    await w2.call('POST', `/tasks/${b._id}/update`, { task_status: 'completed' });
    expect((await claim(w3)).name).toBe('c');
  });

  it('hands out only the task types the worker supports', async () => {
    const s = await testServer();
    submitJob(s, [
      { name: 'render', type: 'blender-render', priority: 100 },
      { name: 'encode', type: 'ffmpeg' },
    ]);
    const w = await registerWorker(s.url, { types: ['ffmpeg'] });
    expect(await drain(w)).toEqual(['encode']);
  });

  it('skips paused jobs', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'paused' }], { start_paused: true, priority: 100 });
    submitJob(s, [{ name: 'runnable' }]);
    const w = await registerWorker(s.url);
    expect(await drain(w)).toEqual(['runnable']);
  });

  it('hands out soft-failed tasks to other workers only, and blocklists after the threshold', async () => {
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }, { name: 'e' }]);
    const w1 = await registerWorker(s.url);
    const w2 = await registerWorker(s.url);
    for (const name of ['a', 'b', 'c']) {
      const t = await claim(w1);
      expect(t.name).toBe(name);
      await w1.call('POST', `/tasks/${t._id}/update`, { task_status: 'failed' });
      expect(taskRec(s, t._id).status).toBe('soft-failed');
    }
    // Three failures of (job, sleep): w1 gets nothing more of this job.
    expect(s.manager.repos.blocklist.list(jobId).map((b) => b.worker_id)).toEqual([w1.id]);
    expect((await w1.call('POST', '/task')).status).toBe(204);
    expect(taskRec(s, ids.d!).status).toBe('queued');
    // w2 picks up the soft-failed tasks (first come, first served) and the rest.
    expect((await drain(w2)).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it("gives a tagged job's tasks only to workers with that tag", async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'gpu-task' }], { tag: 'gpu', priority: 100 });
    submitJob(s, [{ name: 'any-task' }]);
    const plain = await registerWorker(s.url);
    const gpu = await registerWorker(s.url);
    s.manager.repos.workers.setTags(gpu.id, ['gpu']);
    expect(await drain(plain)).toEqual(['any-task']);
    expect(await drain(gpu)).toEqual(['gpu-task']);
  });
});
