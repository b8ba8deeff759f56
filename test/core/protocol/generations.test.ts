// One queue, two worker generations: which tasks a Flamenco 3 Worker may be handed (only those
// whose commands translate, by its announced types), what it receives, what the stuck-work
// warnings say, and the marker stored per task, also for a database from before.
import { describe, expect, it } from 'vitest';
import { MIGRATION_BACKFILLS } from '../../../src/core/jobs/dialects';
import { migrate } from '../../../src/db/open';
import { NEXT_FOR_TYPE_V3_SQL } from '../../../src/db/tasks-repo';
import { testManager, type TestManager } from '../../helpers/env';
import { addWorker, claimTask, complete, fail, mustClaim, statusOf, tasksByName, workerRec } from '../../helpers/domain';

const F3_TYPES = ['blender', 'ffmpeg', 'file-management', 'misc'];

/** A custom job: `untranslatable` of type blender-render (a v2-only command), `translatable` of type sleep. */
function mixedJob(tm: TestManager, extra: Record<string, unknown> = {}): string {
  return tm.manager.jobs.submit({
    name: 'mixed',
    job_type: 'custom',
    ...extra,
    tasks: [
      { name: 'untranslatable', task_type: 'blender-render', commands: [{ name: 'exr_sequence_to_jpeg', settings: { blender_cmd: 'blender', filepath: '/f.blend' } }] },
      { name: 'translatable', task_type: 'sleep', commands: [{ name: 'sleep', settings: { time_in_seconds: 1 } }] },
    ],
  }).id;
}

describe('dispatch across generations', () => {
  it('a Flamenco 3 worker never gets a task without a v3 equivalent, and gets one with; a 2.5 worker gets both', async () => {
    const tm = testManager();
    const job = mixedJob(tm);
    const t = tasksByName(tm, job);
    expect([t.untranslatable!.v3_equivalent, t.translatable!.v3_equivalent]).toEqual([false, true]);

    // The untranslatable task comes first in dispatch order (created first), for a worker of either kind.
    const v3 = await addWorker(tm, { types: F3_TYPES, generation: 'v3' });
    expect(workerRec(tm, v3).generation).toBe('v3');
    expect(mustClaim(tm, v3).name).toBe('translatable');
    complete(tm, v3, t.translatable!.id);
    expect(claimTask(tm, v3)).toBeUndefined();

    const v2 = await addWorker(tm, { types: ['blender-render', 'sleep'] });
    expect(workerRec(tm, v2).generation).toBe('v2');
    expect(mustClaim(tm, v2).name).toBe('untranslatable');

    // A 2.5 worker gets translatable tasks as well.
    const again = mixedJob(tm);
    const v2b = await addWorker(tm, { types: ['sleep'] });
    expect(mustClaim(tm, v2b).id).toBe(tasksByName(tm, again).translatable!.id);
  });

  it('a Flamenco 3 worker runs the v2 types its announced types cover, and types it names itself', async () => {
    const tm = testManager();
    const job = tm.manager.jobs.submit({
      name: 'c',
      job_type: 'custom',
      tasks: ['blender-render', 'video-encoding', 'comp', 'debug'].map((type) => ({ name: type, task_type: type, commands: [{ name: 'echo', settings: { message: type } }] })),
    }).id;
    const ffmpegOnly = await addWorker(tm, { types: ['ffmpeg'], generation: 'v3' });
    expect(mustClaim(tm, ffmpegOnly).name).toBe('video-encoding');
    expect(claimTask(tm, ffmpegOnly)).toBeUndefined();
    const comp = await addWorker(tm, { types: ['comp', 'misc'], generation: 'v3' });
    expect(mustClaim(tm, comp).name).toBe('comp');
    expect(mustClaim(tm, await addWorker(tm, { types: ['misc'], generation: 'v3' })).name).toBe('debug');
    // A 2.5 worker announcing a v3 name gets nothing of these: names are not mapped for it.
    expect(claimTask(tm, await addWorker(tm, { types: ['blender'] }))).toBeUndefined();
    expect(statusOf(tm, tasksByName(tm, job)['blender-render']!.id)).toBe('queued');
  });

  it('a task failed by a 2.5 worker fails for good when only Flamenco 3 workers, which cannot run it, remain', async () => {
    const tm = testManager();
    mixedJob(tm);
    await addWorker(tm, { types: F3_TYPES, generation: 'v3' });
    const v2 = await addWorker(tm, { types: ['blender-render'] });
    const t = mustClaim(tm, v2);
    fail(tm, v2, t.id);
    expect(statusOf(tm, t.id)).toBe('failed');
    // …and is retried when a Flamenco 3 worker can run it: announcing misc, it runs sleep tasks.
    const job = mixedJob(tm);
    const sleeper = await addWorker(tm, { types: ['sleep'] });
    const s = mustClaim(tm, sleeper);
    expect(s.id).toBe(tasksByName(tm, job).translatable!.id);
    fail(tm, sleeper, s.id);
    expect(statusOf(tm, s.id)).toBe('soft-failed');
  });

  it('the Flamenco 3 dispatch query searches tasks_dispatch_v3, tasks_dispatch for the tasks with an equivalent only', () => {
    const tm = testManager();
    const plan = tm.db.prepare(`EXPLAIN QUERY PLAN ${NEXT_FOR_TYPE_V3_SQL}`).all({ taskType: 'sleep', workerId: 'w'.repeat(24), workerTags: '' }) as { detail: string }[];
    const details = plan.map((p) => p.detail);
    expect(details.some((d) => /^SEARCH tasks USING INDEX tasks_dispatch_v3 \(task_type=\?\)/.test(d))).toBe(true);
    expect(details.filter((d) => /^SCAN tasks\b|TEMP B-TREE/.test(d))).toEqual([]);
    const columns = (index: string) => tm.db.prepare(`SELECT name, desc FROM pragma_index_xinfo('${index}') WHERE key = 1 ORDER BY seqno`).all();
    expect(columns('tasks_dispatch_v3')).toEqual(columns('tasks_dispatch'));
    const sql = tm.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'tasks_dispatch_v3'").pluck().get() as string;
    expect(sql).toMatch(/WHERE ready = 1 AND v3_equivalent = 1$/);
  });
});

describe('the Flamenco 3 task document', () => {
  it('expands the platform variables first, then translates, the task type in its v3 name', async () => {
    const tm = testManager({
      config: { variables: { blender: { direction: 'one-way', values: [{ platform: 'linux', value: '/opt/blender/blender --factory-startup', audience: 'all' }] } } },
    });
    const job = tm.manager.jobs.submit({
      name: 'r',
      job_type: 'custom',
      tasks: [{ name: 'r', task_type: 'blender-render', commands: [{ name: 'blender_render', settings: { blender_cmd: '{blender}', filepath: '/f.blend', frames: '1..2' } }] }],
    }).id;
    const w = await addWorker(tm, { types: F3_TYPES, generation: 'v3' });
    const t = mustClaim(tm, w);
    const doc = tm.manager.documents.forV3Worker(t, workerRec(tm, w));
    expect(doc).toEqual({
      ok: true,
      task: {
        uuid: t.id,
        job,
        name: 'r',
        status: 'active',
        priority: 0,
        job_priority: 50,
        job_type: 'custom',
        task_type: 'blender',
        commands: [
          {
            name: 'blender-render',
            parameters: {
              exe: '/opt/blender/blender',
              exeArgs: '',
              argsBefore: ['--factory-startup', '--enable-autoexec', '-noaudio', '--background'],
              blendfile: '/f.blend',
              args: ['--render-frame', '1..2'],
            },
            total_step_count: 2,
          },
        ],
        steps_completed: 0,
        steps_total: 2,
      },
    });
  });
});

describe('stuck work across generations', () => {
  it('says when only Flamenco 3 workers run a type whose commands have no Flamenco 3 equivalent', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = mixedJob(tm);
    await addWorker(tm, { types: F3_TYPES, generation: 'v3' });
    expect(m.stuck.forJob(job)).toEqual([
      'task type "blender-render": its commands have no Flamenco 3 equivalent (exr_sequence_to_jpeg: runs a conversion script that ships with Worker 2.5; Flamenco 3 Workers do not have it); only Flamenco 3 workers run this type',
    ]);
    await addWorker(tm, { types: ['blender-render'] });
    expect(m.stuck.forJob(job)).toEqual([]);
  });

  it('names the untranslatable task of a type even when another task of the type translates', async () => {
    const tm = testManager();
    const job = tm.manager.jobs.submit({
      name: 'c',
      job_type: 'custom',
      tasks: [
        { name: 'ok', task_type: 'comp', commands: [{ name: 'echo', settings: { message: 'x' } }] },
        { name: 'not', task_type: 'comp', commands: [{ name: 'remove_tree', settings: { path: '/x' } }] },
      ],
    }).id;
    await addWorker(tm, { types: ['comp'], generation: 'v3' });
    expect(tm.manager.stuck.forJob(job)).toEqual([
      'task type "comp": its commands have no Flamenco 3 equivalent (remove_tree: Flamenco 3 has no command that deletes files or directories); only Flamenco 3 workers run this type',
    ]);
  });
});

describe('the migration to two generations', () => {
  it('marks the tasks of a database from before by the same translation, and makes its workers 2.5 workers', async () => {
    const tm = testManager();
    const m = tm.manager;
    const job = mixedJob(tm);
    const w = await addWorker(tm, { types: ['sleep'] });
    const mixed = tm.manager.jobs.submit({
      name: 'c',
      job_type: 'custom',
      tasks: [
        { name: 'ok', task_type: 'comp', commands: [{ name: 'echo', settings: { message: 'x' } }] },
        { name: 'not', task_type: 'comp', commands: [{ name: 'remove_tree', settings: { path: '/x' } }] },
      ],
    }).id;
    m.repos.db.prepare(`UPDATE job_task_types SET commands = '[{"name":"echo","settings":{"message":"x"}}]' WHERE job_id = ?`).run(mixed);
    // A database of schema version 9: neither column existed (nor the later task_runs table).
    m.repos.db.exec(
      'DROP INDEX tasks_dispatch_v3; ALTER TABLE tasks DROP COLUMN v3_equivalent; ALTER TABLE workers DROP COLUMN generation; ALTER TABLE workers DROP COLUMN can_restart; DROP TABLE task_runs',
    );
    m.repos.db.pragma('user_version = 9');
    migrate(m.repos.db, MIGRATION_BACKFILLS);
    const t = tasksByName(tm, job);
    expect([t.untranslatable!.v3_equivalent, t.translatable!.v3_equivalent]).toEqual([false, true]);
    expect(workerRec(tm, w).generation).toBe('v2');
    // A task type recorded with the commands of a task Flamenco 3 Workers can run, while another
    // of its tasks has none, is recorded with the other's, as submission does now.
    expect(m.repos.jobTaskTypes.forJob(mixed)).toEqual([{ task_type: 'comp', commands: [{ name: 'remove_tree', settings: { path: '/x' } }] }]);
    // A stored value that is no list of commands is no task for Flamenco 3, not a failed migration.
    m.repos.db.exec(
      'DROP INDEX tasks_dispatch_v3; ALTER TABLE tasks DROP COLUMN v3_equivalent; ALTER TABLE workers DROP COLUMN generation; ALTER TABLE workers DROP COLUMN can_restart; DROP TABLE task_runs',
    );
    m.repos.db.prepare("UPDATE tasks SET commands = 'not json' WHERE id = ?").run(t.translatable!.id);
    m.repos.db.pragma('user_version = 9');
    migrate(m.repos.db, MIGRATION_BACKFILLS);
    expect(m.repos.db.prepare('SELECT v3_equivalent FROM tasks WHERE id = ?').pluck().get(t.translatable!.id)).toBe(0);
  });
});
