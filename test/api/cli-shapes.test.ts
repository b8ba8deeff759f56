// The admin API and the CLI's --json print the same JSON for the same data: the CLI runs as a
// child process on the test server's data directory.
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { runJson } from '../helpers/cli';
import { api, expectJson, fetchTask, submit } from './helpers';

/**
 * The JSON without what depends on serve's memory: serve knows when it last heard a worker to
 * the request, where the CLI reads the database's last_seen, written at most every 15 s; and
 * whether a worker is silent is judged on that (the CLI here also runs on the real clock, the
 * test server on a manual one).
 */
function timeless<T>(doc: T): T {
  return JSON.parse(JSON.stringify(doc, (k, v: unknown) => (['silent', 'last_seen'].includes(k) ? undefined : v))) as T;
}

async function farm() {
  const s = await testServer({ config: { blocklist_threshold: 1, job_fail_share: 1 } });
  const a = submit(s, [{ name: 'a1' }, { name: 'a2', parents: ['a1'] }, { name: 'a3' }], { name: 'shot 12', metadata: { project: 'sprite' } });
  const b = submit(s, [{ name: 'b1' }], { name: 'paused one', priority: 20 });
  s.manager.jobActions.pause(b.job);
  const w1 = await registerWorker(s.url, { nickname: 'node-1' });
  const w2 = await registerWorker(s.url, { nickname: 'node-2', platform: 'windows' });
  const t = await fetchTask(w1);
  await w1.call('POST', `/tasks/${t._id}/update`, { task_status: 'failed', log: 'boom' });
  await fetchTask(w2);
  await api(s, 'POST', `/api/workers/${w1.id}/status`, { body: { status: 'asleep', lazy: true } });
  await api(s, 'PUT', `/api/workers/${w2.id}/sleep-schedule`, { body: { days: 'sa su', start: '22:00', end: '06:00' } });
  return { s, a, b, w1, w2 };
}

describe('CLI --json and the admin API agree', { timeout: 60_000 }, () => {
  it('list-workers = GET /api/workers; queue-status = GET /api/queue-status', async () => {
    const { s, a } = await farm();
    const d = ['--data-dir', s.dataDir];
    const [cliWorkers, cliQueue, cliQueueJob] = await Promise.all([
      runJson(['list-workers', ...d]),
      runJson(['queue-status', ...d]),
      runJson(['queue-status', '--job', a.job, ...d]),
    ]);
    const apiWorkers = expectJson(await api(s, 'GET', '/api/workers'));
    expect(apiWorkers).toHaveLength(2);
    expect(timeless(cliWorkers)).toEqual(timeless(apiWorkers));
    const apiQueue = expectJson(await api(s, 'GET', '/api/queue-status'));
    expect(apiQueue.jobs).toHaveLength(2);
    expect(cliQueue).toEqual(apiQueue);
    expect(cliQueueJob).toEqual(expectJson(await api(s, 'GET', `/api/queue-status?job=${a.job}`)));
  });

  it('jobs, job <id>, blocklist and sleep-schedule = their GET routes', async () => {
    const { s, a, w2 } = await farm();
    const d = ['--data-dir', s.dataDir];
    const [jobs, paused, job, blocklist, blocklistJob, schedule] = await Promise.all([
      runJson(['jobs', ...d]),
      runJson(['jobs', '--status', 'paused', ...d]),
      runJson(['job', a.job, ...d]),
      runJson(['blocklist', ...d]),
      runJson(['blocklist', '--job', a.job, ...d]),
      runJson(['sleep-schedule', w2.id, ...d]),
    ]);
    expect(timeless(jobs)).toEqual(timeless(expectJson(await api(s, 'GET', '/api/jobs'))));
    expect(timeless(paused)).toEqual(timeless(expectJson(await api(s, 'GET', '/api/jobs?status=paused'))));
    expect(paused).toHaveLength(1);
    const apiJob = expectJson(await api(s, 'GET', `/api/jobs/${a.job}`));
    expect(apiJob.task_list).toHaveLength(3);
    expect(timeless(job)).toEqual(timeless(apiJob));
    const apiBlocklist = expectJson(await api(s, 'GET', '/api/blocklist'));
    expect(apiBlocklist).toHaveLength(1);
    expect(blocklist).toEqual(apiBlocklist);
    expect(blocklistJob).toEqual(expectJson(await api(s, 'GET', `/api/blocklist?job=${a.job}`)));
    expect(schedule).toEqual(expectJson(await api(s, 'GET', `/api/workers/${w2.id}/sleep-schedule`)));
  });

  it('job-types = GET /api/job-types', async () => {
    const s = await testServer();
    const apiTypes = expectJson(await api(s, 'GET', '/api/job-types'));
    expect(apiTypes.length).toBeGreaterThan(3);
    expect(await runJson(['job-types', '--data-dir', s.dataDir])).toEqual(apiTypes);
  });

  it('the job actions print the job the API answers with', async () => {
    const { s, a, b } = await farm();
    const d = ['--data-dir', s.dataDir];
    const cliPaused = await runJson(['pause-job', a.job, ...d]);
    expect(cliPaused.status).toBe('pause-requested');
    const { settings: _s, task_list: _t, warnings: _w, first_failure: _f, ...summary } = expectJson(await api(s, 'GET', `/api/jobs/${a.job}`));
    expect(timeless(cliPaused)).toEqual(timeless(summary));
    const cliPrio = await runJson(['set-priority', b.job, '77', ...d]);
    expect(timeless(cliPrio)).toEqual(timeless(s.manager.readModels.jobSummary(b.job)));
    expect(cliPrio.priority).toBe(77);
    // And the other way round: what the API did, the CLI shows.
    const apiResumed = expectJson(await api(s, 'POST', `/api/jobs/${b.job}/resume`));
    expect(timeless(await runJson(['job', b.job, ...d]))).toMatchObject(timeless(apiResumed));
  });
});
