// Job submission: validation of every job type, nothing written for a bad job, and the job and
// task statuses of a job that runs.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/support/errors';
import { customJob, testManager, type TestManager } from '../../helpers/env';
import { addWorker, claimTask, complete, countRows, jobRec, mustClaim, tasksByName } from '../../helpers/domain';

const TABLES = ['jobs', 'tasks', 'task_parents', 'job_task_counts'];

function rowCounts(tm: TestManager): Record<string, number> {
  return Object.fromEntries(TABLES.map((t) => [t, countRows(tm, t)]));
}

/** A valid custom job with one task, with `task` fields overriding the task's. */
function customWith(task: Record<string, unknown>, more: Record<string, unknown>[] = []) {
  return {
    name: 'j',
    job_type: 'custom',
    tasks: [{ name: 'a', task_type: 'sleep', commands: [{ name: 'echo', settings: { message: 'hi' } }], ...task }, ...more],
  };
}

const sleepJob = (settings: unknown) => ({ name: 'j', job_type: 'sleep', settings });
const execJob = (settings: unknown) => ({ name: 'j', job_type: 'exec-command', settings });
const echo = [{ name: 'echo', settings: {} }];

// [what is wrong, document, a pattern the message must match]
const BAD: [string, unknown, RegExp][] = [
  ['not an object', [1, 2], /JSON object/],
  ['unknown top-level field', { ...sleepJob({ frames: '1' }), colour: 'red' }, /^colour: unknown field/],
  ['missing name', { job_type: 'sleep', settings: { frames: '1' } }, /^name: /],
  ['empty name', { ...sleepJob({ frames: '1' }), name: '  ' }, /^name: /],
  ['name too long', { ...sleepJob({ frames: '1' }), name: 'x'.repeat(201) }, /^name: .*200/],
  ['missing job_type', { name: 'j' }, /^job_type: /],
  ['unknown job_type', { name: 'j', job_type: 'teleport' }, /^job_type: unknown job type "teleport"/],
  ['priority too high', { ...sleepJob({ frames: '1' }), priority: 101 }, /^priority: /],
  ['negative priority', { ...sleepJob({ frames: '1' }), priority: -1 }, /^priority: /],
  ['fractional priority', { ...sleepJob({ frames: '1' }), priority: 1.5 }, /^priority: /],
  ['priority as a string', { ...sleepJob({ frames: '1' }), priority: '50' }, /^priority: /],
  ['start_paused not a boolean', { ...sleepJob({ frames: '1' }), start_paused: 'yes' }, /^start_paused: /],
  ['empty tag', { ...sleepJob({ frames: '1' }), tag: '' }, /^tag: /],
  ['metadata with a number', { ...sleepJob({ frames: '1' }), metadata: { shot: 12 } }, /^metadata: /],
  // sleep
  ['sleep without settings', { name: 'j', job_type: 'sleep' }, /^settings: must be an object/],
  ['sleep with array settings', sleepJob([]), /^settings: must be an object/],
  ['sleep with string settings', sleepJob('frames=1'), /^settings: must be an object/],
  ['sleep without frames', sleepJob({}), /^settings\.frames: required/],
  ['sleep with bad frames', sleepJob({ frames: '1-x' }), /^settings\.frames: "1-x"/],
  ['sleep with reversed frames', sleepJob({ frames: '10-1' }), /^settings\.frames: "10-1"/],
  ['sleep with chunk_size 0', sleepJob({ frames: '1', chunk_size: 0 }), /^settings\.chunk_size: /],
  ['sleep with fractional chunk_size', sleepJob({ frames: '1', chunk_size: 2.5 }), /^settings\.chunk_size: /],
  ['sleep with negative time', sleepJob({ frames: '1', time_in_seconds: -1 }), /^settings\.time_in_seconds: /],
  ['sleep with time as text', sleepJob({ frames: '1', time_in_seconds: '3' }), /^settings\.time_in_seconds: /],
  ['sleep with an unknown setting', sleepJob({ frames: '1', snore: true }), /^settings\.snore: unknown setting/],
  ['sleep listing tasks', { ...sleepJob({ frames: '1' }), tasks: [] }, /^tasks: /],
  // exec-command
  ['exec-command without cmd', execJob({}), /^settings\.cmd: required/],
  ['exec-command with empty cmd', execJob({ cmd: '' }), /^settings\.cmd: /],
  ['exec-command with cmd as an array', execJob({ cmd: ['ls'] }), /^settings\.cmd: /],
  ['exec-command with empty task_type', execJob({ cmd: 'ls', task_type: '' }), /^settings\.task_type: /],
  // custom
  ['custom without tasks', { name: 'j', job_type: 'custom' }, /^tasks: /],
  ['custom with no tasks', { name: 'j', job_type: 'custom', tasks: [] }, /^tasks: /],
  ['custom with non-object settings', { ...customWith({}), settings: 'x' }, /^settings: must be an object/],
  ['custom with a setting', { ...customWith({}), settings: { x: 1 } }, /^settings\.x: unknown setting/],
  ['task not an object', customWith({}, ['b' as never]), /^tasks\[1\]: /],
  ['task without name', customWith({ name: undefined }), /^tasks\[0\]\.name: /],
  ['task with empty name', customWith({ name: '' }), /^tasks\[0\]\.name: /],
  ['duplicate task names', customWith({}, [{ name: 'a', task_type: 'sleep', commands: echo }]), /^tasks\[1\]\.name: "a"/],
  ['task without task_type', customWith({ task_type: undefined }), /^tasks\[0\]\.task_type: /],
  ['task with bad priority', customWith({ priority: 200 }), /^tasks\[0\]\.priority: /],
  ['parents not an array', customWith({ parents: 'b' }), /^tasks\[0\]\.parents: /],
  ['unknown parent', customWith({ parents: ['ghost'] }), /^tasks\[0\]\.parents: "ghost" is not a task/],
  ['own parent', customWith({ parents: ['a'] }), /^tasks\[0\]\.parents: /],
  [
    'a cycle',
    customWith({ parents: ['c'] }, [
      { name: 'b', task_type: 'sleep', parents: ['a'], commands: echo },
      { name: 'c', task_type: 'sleep', parents: ['b'], commands: echo },
    ]),
    /^tasks: the parents form a cycle/,
  ],
  ['no commands', customWith({ commands: undefined }), /^tasks\[0\]\.commands: /],
  ['empty commands', customWith({ commands: [] }), /^tasks\[0\]\.commands: /],
  ['command not an object', customWith({ commands: ['echo'] }), /^tasks\[0\]\.commands\[0\]: /],
  ['command without name', customWith({ commands: [{ settings: {} }] }), /^tasks\[0\]\.commands\[0\]\.name: /],
  ['command with non-object settings', customWith({ commands: [{ name: 'echo', settings: [1] }] }), /^tasks\[0\]\.commands\[0\]\.settings: /],
  [
    'a bad second command',
    customWith({
      commands: [
        { name: 'echo', settings: {} },
        { name: 'exec', settings: 'ls' },
      ],
    }),
    /^tasks\[0\]\.commands\[1\]\.settings: /,
  ],
];

describe('submission validation', () => {
  for (const [what, doc, pattern] of BAD) {
    it(`refuses ${what}, naming the field, and writes nothing`, () => {
      const tm = testManager();
      const before = rowCounts(tm);
      let err: unknown;
      try {
        tm.manager.jobs.submit(doc);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(pattern);
      expect((err as Error).message).not.toMatch(/\n\s+at /);
      expect(rowCounts(tm)).toEqual(before);
      expect(before).toEqual({ jobs: 0, tasks: 0, task_parents: 0, job_task_counts: 0 });
    });
  }

  it('names the cycle it found', () => {
    const tm = testManager();
    const doc = customWith({ parents: ['c'] }, [
      { name: 'b', task_type: 'sleep', parents: ['a'], commands: echo },
      { name: 'c', task_type: 'sleep', parents: ['b'], commands: echo },
    ]);
    expect(() => tm.manager.jobs.submit(doc)).toThrow(/cycle: (a → c → b → a|a → b → c → a|b → a → c → b|c → b → a → c)/);
  });

  it('a bad job submitted after good ones changes nothing', () => {
    const tm = testManager();
    tm.manager.jobs.submit(customJob([{ name: 'a' }, { name: 'b', parents: ['a'] }]));
    const before = rowCounts(tm);
    expect(() => tm.manager.jobs.submit(customWith({}, [{ name: 'b', task_type: 'sleep', parents: ['nope'], commands: echo }]))).toThrow(ValidationError);
    expect(rowCounts(tm)).toEqual(before);
    expect(before).toMatchObject({ jobs: 1, tasks: 2, task_parents: 1 });
  });
});

describe('compiled jobs', () => {
  it('compiles sleep into one task per chunk with echo and sleep commands', () => {
    const tm = testManager();
    const r = tm.manager.jobs.submit(sleepJob({ frames: '1-10', chunk_size: 3, time_in_seconds: 2 }));
    expect(r.tasks).toBe(4);
    const tasks = tm.manager.repos.tasks.listForJob(r.id);
    expect(tasks.map((t) => t.name)).toEqual(['sleep-1-3', 'sleep-4-6', 'sleep-7-9', 'sleep-10']);
    expect(tasks.every((t) => t.task_type === 'sleep' && t.pending_parents === 0)).toBe(true);
    expect(tasks[0]!.commands).toEqual([
      { name: 'echo', settings: { message: 'Preparing to sleep for frames 1..3' } },
      { name: 'sleep', settings: { time_in_seconds: 2 } },
    ]);
    expect(countRows(tm, 'task_parents')).toBe(0);
  });

  it('compiles exec-command into one exec task, task type debug unless given', () => {
    const tm = testManager();
    const a = tm.manager.jobs.submit(execJob({ cmd: 'echo hi' }));
    const b = tm.manager.jobs.submit(execJob({ cmd: 'ls', task_type: 'file-management' }));
    expect(a.tasks).toBe(1);
    const [ta] = tm.manager.repos.tasks.listForJob(a.id);
    expect(ta).toMatchObject({ name: 'exec-command', task_type: 'debug', commands: [{ name: 'exec', settings: { cmd: 'echo hi' } }] });
    expect(tm.manager.repos.tasks.listForJob(b.id)[0]!.task_type).toBe('file-management');
  });

  it('stores a custom job with its dependencies, defaults and metadata', () => {
    const tm = testManager();
    const r = tm.manager.jobs.submit({
      ...customJob([{ name: 'prep' }, { name: 'render', parents: ['prep'], priority: 7 }]),
      metadata: { project: 'sprite' },
      tag: 'gpu',
    });
    const job = jobRec(tm, r.id);
    expect(job).toMatchObject({ status: 'queued', priority: 50, tag: 'gpu', metadata: { project: 'sprite' } });
    const t = tasksByName(tm, r.id);
    expect(t.render).toMatchObject({ priority: 7, pending_parents: 1, job_tag: 'gpu', job_priority: 50 });
    expect(tm.manager.repos.taskParents.parents(t.render!.id)).toEqual([t.prep!.id]);
    expect(tm.manager.repos.taskCounts.forJob(r.id)).toEqual({ queued: 2 });
  });
});

describe('job and task statuses', () => {
  it('go queued → active → completed', async () => {
    const tm = testManager();
    const id = tm.manager.jobs.submit(customJob([{ name: 'a' }, { name: 'b' }])).id;
    const w = await addWorker(tm);
    expect(jobRec(tm, id).status).toBe('queued');
    expect(Object.values(tasksByName(tm, id)).map((t) => t.status)).toEqual(['queued', 'queued']);

    const a = mustClaim(tm, w);
    expect(jobRec(tm, id).status).toBe('active');
    expect(tasksByName(tm, id).a!.status).toBe('active');
    complete(tm, w, a.id);
    expect(tasksByName(tm, id).a!.status).toBe('completed');
    expect(jobRec(tm, id).status).toBe('active');
    const b = mustClaim(tm, w);
    complete(tm, w, b.id);
    expect(jobRec(tm, id).status).toBe('completed');
    expect(tm.manager.repos.taskCounts.forJob(id)).toEqual({ completed: 2 });
    expect(claimTask(tm, w)).toBeUndefined();
  });

  it('start_paused stores the job and its tasks paused', () => {
    const tm = testManager();
    const id = tm.manager.jobs.submit({ ...customJob([{ name: 'a' }, { name: 'b' }]), start_paused: true }).id;
    expect(jobRec(tm, id).status).toBe('paused');
    expect(Object.values(tasksByName(tm, id)).map((t) => t.status)).toEqual(['paused', 'paused']);
    expect(tm.manager.repos.taskCounts.forJob(id)).toEqual({ paused: 2 });
  });
});
