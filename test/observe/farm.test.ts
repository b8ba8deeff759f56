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

describe('GET /api/farm: what needs attention, by name', () => {
  it('allows a worker that asks less often than its generation does by default its own pace before calling it silent', async () => {
    const s = await testServer({ config: { worker_timeout_ms: 300_000 } });
    submitJob(s, [{ name: 'long' }], { name: 'shot 11' });
    // A Worker 2.5 configured with may_i_run_interval_seconds = 30 (the default is 5).
    const w = await registerWorker(s.url, { nickname: 'node-slow', types: ['sleep'] });
    const t = await claim(w);
    for (let i = 0; i < 3; i++) {
      s.clock.advance(30_000);
      await w.call('GET', `/may-i-run/${t._id}`);
    }
    const attention = async () => (await request(s.url, 'GET', '/api/farm')).json.attention;
    s.clock.advance(45_000);
    expect((await attention()).workers).toEqual([]);
    s.clock.advance(16_000);
    expect((await attention()).workers).toEqual([
      { id: w.id, nickname: 'node-slow', status: 'awake', last_seen: expect.any(String), why: 'silent for 61 s (it asks every 30 s when running a task): killed or cut off?' },
    ]);
  });

  it('names failed jobs with their first failure, running jobs with progress and estimate, and silent, timed-out and erring workers', async () => {
    const s = await testServer({ config: { job_fail_share: 0.3, task_fail_after_softfail_count: 1, worker_timeout_ms: 60_000 } });
    const running = submitJob(s, [{ name: 'r1' }, { name: 'r2' }, { name: 'r3' }], { name: 'shot 10' });
    const w = await registerWorker(s.url, { nickname: 'node-1', types: ['sleep'] });
    const quiet = await registerWorker(s.url, { nickname: 'node-quiet', types: ['other'] });
    await quiet.call('POST', '/task');
    const t0 = s.clock.now();
    const r1 = await claim(w);
    s.clock.advance(8_000);
    await w.call('POST', `/tasks/${r1._id}/update`, { task_status: 'completed' });
    const r2 = await claim(w);
    s.clock.advance(2_000);
    await w.call('POST', `/may-i-run/${r2._id}`);
    const attention = async () => (await request(s.url, 'GET', '/api/farm')).json.attention;
    let a = await attention();
    expect(a.running).toEqual([
      // Mean of one completed run: 8 s; r3 waits (8 s), r2 ran 2 s of its 8 (6 s more): 14 s from now.
      {
        job: running.jobId,
        name: 'shot 10',
        status: 'active',
        completed: 1,
        total: 3,
        running: 1,
        run_started: new Date(t0).toISOString(),
        estimated_end: new Date(t0 + 10_000 + 14_000).toISOString(),
        mean_task_ms: 8_000,
      },
    ]);
    // node-quiet, idle, asked for a task 10 s ago: Flamenco Worker 2.5 asks every 5 s.
    expect(a.workers).toEqual([]);
    s.clock.advance(1_000);
    a = await attention();
    expect(a.workers).toEqual([
      { id: quiet.id, nickname: 'node-quiet', status: 'awake', last_seen: expect.any(String), why: 'silent for 11 s (it asks every 5 s when idle): killed or cut off?' },
    ]);
    await quiet.call('POST', '/task');
    // The summary is shared for up to a second between dashboards.
    s.clock.advance(1_000);
    expect((await attention()).workers).toEqual([]);

    await w.call('POST', `/tasks/${r2._id}/update`, { task_status: 'failed', activity: 'Blender exited with code 47' });
    s.clock.advance(1_000);
    a = await attention();
    expect(a.running).toEqual([]);
    expect(a.failed).toEqual([
      {
        job: running.jobId,
        name: 'shot 10',
        activity: expect.stringMatching(/failed/),
        failed_tasks: 1,
        first_failure: {
          task: r2._id,
          task_name: 'r2',
          worker_nickname: 'node-1',
          ended: expect.any(String),
          activity: expect.stringMatching(/^Blender exited with code 47 \(failed by 1 worker/),
        },
      },
    ]);
    s.clock.advance(61_000);
    s.manager.timeouts.checkWorkers();
    expect((await attention()).workers.map((x: { nickname: string; why: string }) => `${x.nickname}: ${x.why.replace(/since .*/, 'since …')}`)).toEqual([
      'node-1: timed out: not heard from since …',
      'node-quiet: timed out: not heard from since …',
    ]);
  });
});
