// Stuck work: waiting tasks that no registered worker will pick up, said at submit, in job and in
// queue-status — one rule (core/jobs/stuck.ts).
import { describe, expect, it } from 'vitest';
import { MIGRATION_BACKFILLS } from '../../../src/core/jobs/dialects';
import type { VariableDef } from '../../../src/core/support/config';
import { migrate } from '../../../src/db/open';
import { testManager } from '../../helpers/env';
import { addWorker, complete, mustClaim } from '../../helpers/domain';
import { runCli, runJson } from '../../helpers/cli';

const VARIABLES: Record<string, VariableDef> = {
  blender: { direction: 'one-way', values: [{ platform: 'linux', value: '/opt/blender/blender', audience: 'all' }] },
  render: { direction: 'one-way', values: [{ platform: 'windows', value: 'S:/render', audience: 'users' }] },
};

function job(taskType: string, cmd: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'shot',
    job_type: 'custom',
    ...extra,
    tasks: [{ name: 'a', task_type: taskType, priority: 0, parents: [], commands: [{ name: 'exec', settings: { cmd } }] }],
  };
}

describe('stuck work warnings', () => {
  it('names a task type no registered worker supports, and a tag no worker carries', async () => {
    const tm = testManager();
    const m = tm.manager;
    await addWorker(tm, { types: ['sleep'], tags: ['cpu'] });
    const a = m.jobs.submit(job('blender-render', 'x')).id;
    expect(m.stuck.forJob(a)).toEqual(['no registered worker runs task type "blender-render"']);
    const b = m.jobs.submit(job('sleep', 'x', { tag: 'gpu' })).id;
    expect(m.stuck.forJob(b)).toEqual(['no registered worker with tag "gpu" runs task type "sleep"']);
    const c = m.jobs.submit(job('sleep', 'x', { tag: 'cpu' })).id;
    expect(m.stuck.forJob(c)).toEqual([]);
    await addWorker(tm, { types: ['blender-render'] });
    expect(m.stuck.forJob(a)).toEqual([]);
    expect(m.stuck.forQueue().map((j) => j.job)).toEqual([b]);
  });

  it('names work whose only workers are away (offline, asleep, timed out)', async () => {
    const tm = testManager();
    const m = tm.manager;
    const w = await addWorker(tm, { types: ['sleep'] });
    const a = m.jobs.submit(job('sleep', 'x')).id;
    expect(m.stuck.forJob(a)).toEqual([]);
    m.repos.workers.setStatus(w, 'asleep');
    expect(m.stuck.forJob(a)).toEqual(['no available worker runs task type "sleep" (1 such worker is offline, asleep or timed out)']);
    m.repos.workers.setStatus(w, 'awake');
    expect(m.stuck.forJob(a)).toEqual([]);
  });

  it('names work whose every worker is blocklisted for the job, as dispatch skips them', async () => {
    const tm = testManager();
    const m = tm.manager;
    const w1 = await addWorker(tm, { types: ['sleep'] });
    const w2 = await addWorker(tm, { types: ['sleep'] });
    const a = m.jobs.submit(job('sleep', 'x')).id;
    m.repos.write(() => m.repos.blocklist.add(a, 'sleep', w1, tm.clock.now()));
    expect(m.stuck.forJob(a)).toEqual([]);
    m.repos.write(() => m.repos.blocklist.add(a, 'sleep', w2, tm.clock.now()));
    expect(m.stuck.forJob(a)).toEqual(['every worker that runs task type "sleep" is blocklisted for this job (2 workers); clear the blocklist to let them try again']);
    // Another job of the same type is not affected.
    expect(m.stuck.forJob(m.jobs.submit(job('sleep', 'x')).id)).toEqual([]);
    m.repos.write(() => m.repos.blocklist.clear(a, { workerId: w2 }));
    expect(m.stuck.forJob(a)).toEqual([]);
  });

  it('reads the task types recorded at submission (filled from the tasks for a database from before), and forgets them with the job', async () => {
    const tm = testManager();
    const m = tm.manager;
    await addWorker(tm, { types: ['sleep'] });
    const a = m.jobs.submit(job('ffmpeg', 'x')).id;
    expect(m.repos.jobTaskTypes.forJob(a)).toEqual([{ task_type: 'ffmpeg', commands: [{ name: 'exec', settings: { cmd: 'x' } }] }]);
    expect(m.stuck.forJob(a)).toEqual(['no registered worker runs task type "ffmpeg"']);
    // A database of schema version 8 had no such table: the migration fills it from the tasks.
    m.repos.db.exec('DROP TABLE job_task_types');
    // Undo the later migrations too (10: the worker generations, 11: can_restart, 12: task runs), so they run again.
    m.repos.db.exec(
      'DROP INDEX tasks_dispatch_v3; ALTER TABLE tasks DROP COLUMN v3_equivalent; ALTER TABLE workers DROP COLUMN generation; ALTER TABLE workers DROP COLUMN can_restart',
    );
    m.repos.db.exec('DROP TABLE task_runs');
    m.repos.db.pragma('user_version = 8');
    migrate(m.repos.db, MIGRATION_BACKFILLS);
    expect(m.repos.jobTaskTypes.forJob(a)).toEqual([{ task_type: 'ffmpeg', commands: [{ name: 'exec', settings: { cmd: 'x' } }] }]);
    m.jobActions.delete(a);
    expect(m.repos.db.prepare('SELECT count(*) FROM job_task_types').pluck().get()).toBe(0);
  });

  it('names a {variable} without a value for the platforms of the workers that would run it', async () => {
    const tm = testManager({ config: { variables: VARIABLES } });
    const m = tm.manager;
    await addWorker(tm, { types: ['blender-render'], platform: 'windows' });
    const a = m.jobs.submit(job('blender-render', '{blender} -b {render}/x.blend {blendr}')).id;
    expect(m.stuck.forJob(a)).toEqual([
      '{blender} in task type "blender-render" has no value for any worker platform (windows)',
      // A value for users only is not handed to workers.
      '{render} in task type "blender-render" has no value for any worker platform (windows)',
      '{blendr} in task type "blender-render" has no value for any worker platform (windows)',
    ]);
    await addWorker(tm, { types: ['blender-render'], platform: 'linux' });
    expect(m.stuck.forJob(a)[0]).toBe('{blender} in task type "blender-render" has no value for platform windows');
  });

  it('looks only at waiting tasks', async () => {
    const tm = testManager();
    const w = await addWorker(tm, { types: ['sleep'] });
    const id = tm.manager.jobs.submit(job('sleep', 'x')).id;
    tm.manager.repos.workers.delete(w);
    expect(tm.manager.stuck.forJob(id)).toHaveLength(1);
    const w2 = await addWorker(tm, { types: ['sleep'] });
    complete(tm, w2, mustClaim(tm, w2).id);
    tm.manager.repos.workers.delete(w2);
    expect(tm.manager.stuck.forJob(id)).toEqual([]);
  });

  it('submit, job and queue-status show the same warnings', async () => {
    const tm = testManager();
    await addWorker(tm, { types: ['sleep'] });
    const d = ['--data-dir', tm.dataDir];
    const r = await runCli(['submit', '-', ...d], { input: JSON.stringify(job('ffmpeg', 'x', { name: 'encode' })) });
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    const warning = 'no registered worker runs task type "ffmpeg"';
    expect(r.stderr).toBe(`submitted job ${id} with 1 task\nwarning: ${warning}\n`);
    expect((await runJson(['job', id, ...d])).warnings).toEqual([warning]);
    expect((await runCli(['job', id, ...d])).stdout).toContain(`  warning:   ${warning}\n`);
    expect((await runJson(['queue-status', ...d])).warnings).toEqual([{ job: id, name: 'encode', warnings: [warning] }]);
    expect((await runCli(['queue-status', ...d])).stdout).toContain(`warning: job encode (${id}): ${warning}\n`);
  });
});
