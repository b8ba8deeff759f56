import { describe, expect, it } from 'vitest';
import { customJob, registerWorker, testServer } from '../helpers/env';

describe('a worker runs a job end to end', () => {
  it('fetches, runs and completes tasks in dependency order', async () => {
    const s = await testServer();
    const { id: jobId } = s.manager.jobs.submit(customJob([{ name: 'a' }, { name: 'b', parents: ['a'] }]));
    const w = await registerWorker(s.url);

    const t1 = await w.call('POST', '/task');
    expect(t1.status).toBe(200);
    expect(t1.json.name).toBe('a');
    expect(t1.json.parents).toEqual([]);
    // b waits for a
    const w2 = await registerWorker(s.url);
    expect((await w2.call('POST', '/task')).status).toBe(204);

    expect((await w.call('POST', `/tasks/${t1.json._id}/update`, { task_status: 'completed', log: 'done' })).status).toBe(204);
    const t2 = await w2.call('POST', '/task');
    expect(t2.status).toBe(200);
    expect(t2.json.name).toBe('b');
    expect(t2.json.parents).toEqual([t1.json._id]);
    expect((await w2.call('POST', `/tasks/${t2.json._id}/update`, { task_status: 'completed' })).status).toBe(204);
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('completed');
  });
});
