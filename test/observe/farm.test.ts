import { describe, expect, it } from 'vitest';
import { registerWorker, request, testServer } from '../helpers/env';
import { claim, submitJob } from '../helpers/protocol';
import { STUCK_CACHE_MS } from '../../src/core/observe/farm-summary';

describe('GET /api/farm', () => {
  it('counts every status, names what busy workers run, and says what is stuck', async () => {
    const s = await testServer();
    const runnable = submitJob(s, [{ name: 'frames 1-10' }], { name: 'shot 1' });
    const noType = submitJob(s, [{ name: 'render', type: 'blender-render' }], { name: 'shot 2' });
    const noTag = submitJob(s, [{ name: 'x' }], { name: 'shot 3', tag: 'gpu' });
    const w = await registerWorker(s.url, { types: ['sleep'] });
    const t = await claim(w);
    expect(t.name).toBe('frames 1-10');
    const f = (await request(s.url, 'GET', '/api/farm')).json;
    expect(f.jobs).toMatchObject({ active: 1, queued: 2, completed: 0 });
    expect(f.tasks).toMatchObject({ active: 1, queued: 2, failed: 0 });
    expect(f.workers).toMatchObject({ awake: 1, offline: 0 });
    expect(f.current_tasks[w.id]).toEqual({ task: t._id, task_name: 'frames 1-10', job: runnable.jobId, job_name: 'shot 1' });
    expect(f.stuck).toEqual([
      // The stuck-work rule of submit, job and queue-status (core/jobs/stuck.ts), in its words.
      { job: noType.jobId, name: 'shot 2', reason: 'no registered worker runs task type "blender-render"' },
      { job: noTag.jobId, name: 'shot 3', reason: 'no registered worker with tag "gpu" runs task type "sleep"' },
    ]);

    s.manager.workerTags.change(w.id, { set: ['gpu'] });
    // Counts follow every change; what is stuck is worked out again at most every STUCK_CACHE_MS.
    s.clock.advance(5000);
    expect((await request(s.url, 'GET', '/api/farm')).json.stuck).toHaveLength(2);
    s.clock.advance(STUCK_CACHE_MS - 5000);
    expect((await request(s.url, 'GET', '/api/farm')).json.stuck).toHaveLength(1);
    await w.call('POST', '/sign-off');
    s.clock.advance(STUCK_CACHE_MS);
    const later = (await request(s.url, 'GET', '/api/farm')).json;
    expect(later.stuck.map((x: any) => x.reason)).toContain('no available worker with tag "gpu" runs task type "sleep" (1 such worker is offline, asleep or timed out)');
  });
});
