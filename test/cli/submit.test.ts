// `flamenco-mgr submit`: from a file or standard input, human and --json output, and every way
// a job document can be refused without anything being written.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { farmDir, runCli, runJson, STACK_LINE } from '../helpers/cli';

const ID = /^[0-9a-f]{24}$/;

function sleepJob(extra: Record<string, unknown> = {}) {
  return { name: 'frames', job_type: 'sleep', settings: { frames: '1-10', chunk_size: 5 }, ...extra };
}

function customJob() {
  return {
    name: 'pipeline',
    job_type: 'custom',
    tasks: [
      { name: 'a', task_type: 'sleep', commands: [{ name: 'echo', settings: { message: 'a' } }] },
      { name: 'b', task_type: 'sleep', parents: ['a'], commands: [{ name: 'echo', settings: { message: 'b' } }] },
      { name: 'c', task_type: 'sleep', parents: ['a', 'b'], commands: [{ name: 'echo', settings: { message: 'c' } }] },
    ],
  };
}

function writeJob(dir: string, doc: unknown, name = 'job.json'): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

async function jobsIn(dataDir: string): Promise<any[]> {
  return (await runJson(['queue-status', '--data-dir', dataDir])).jobs;
}

describe('submit', { timeout: 30_000 }, () => {
  it('prints only the job id on stdout, and a summary on stderr', async () => {
    const dir = farmDir();
    const r = await runCli(['submit', writeJob(dir, sleepJob()), '--data-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{24}\n$/);
    const id = r.stdout.trim();
    expect(r.stderr).toBe(`submitted job ${id} with 2 tasks\nwarning: no registered worker runs task type "sleep"\n`);
    const jobs = await jobsIn(dir);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ id, name: 'frames', job_type: 'sleep', status: 'queued', priority: 50 });
    expect(jobs[0].tasks.queued).toBe(2);
  });

  it('prints {"id","tasks"} with --json and nothing on stderr', async () => {
    const dir = farmDir();
    const r = await runCli(['submit', writeJob(dir, customJob()), '--data-dir', dir, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['id', 'tasks', 'warnings']);
    expect(out.id).toMatch(ID);
    expect(out.tasks).toBe(3);
  });

  it('reads the document from standard input with -', async () => {
    const dir = farmDir();
    const human = await runCli(['submit', '-', '--data-dir', dir], { input: JSON.stringify(sleepJob({ name: 'from stdin' })) });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^[0-9a-f]{24}\n$/);
    const json = await runJson(['submit', '-', '--data-dir', dir], { input: JSON.stringify(sleepJob({ priority: 80, start_paused: true })) });
    expect(json.tasks).toBe(2);
    const jobs = await jobsIn(dir);
    expect(jobs.map((j) => j.id).sort()).toEqual([human.stdout.trim(), json.id].sort());
    expect(jobs.find((j) => j.id === json.id)).toMatchObject({ priority: 80, status: 'paused' });
  });

  it('gives every job its own id', async () => {
    const dir = farmDir();
    const file = writeJob(dir, sleepJob());
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await runJson(['submit', file, '--data-dir', dir])).id);
    expect(ids.size).toBe(3);
  });
});

describe('submit refuses bad input and writes nothing', { timeout: 30_000 }, () => {
  async function refused(args: string[], dataDir: string, message: string | RegExp, input?: string) {
    const r = await runCli([...args, '--data-dir', dataDir], input === undefined ? {} : { input });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    if (typeof message === 'string') expect(r.stderr).toContain(message);
    else expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^flamenco-mgr: /);
    expect(r.stderr).not.toContain(STACK_LINE);
    expect(await jobsIn(dataDir)).toEqual([]);
    return r;
  }

  it('a missing file', async () => {
    const dir = farmDir();
    const file = path.join(dir, 'nope.json');
    await refused(['submit', file], dir, `cannot read ${file}: no such file or directory`);
  });

  it('a directory instead of a file', async () => {
    const dir = farmDir();
    const sub = path.join(dir, 'a-directory');
    mkdirSync(sub);
    await refused(['submit', sub], dir, `cannot read ${sub}: is a directory`);
  });

  it('invalid JSON in a file, naming the file', async () => {
    const dir = farmDir();
    const file = writeJob(dir, '{"name": "x",', 'broken.json');
    await refused(['submit', file], dir, `${file} is not valid JSON`);
  });

  it('invalid JSON on standard input', async () => {
    await refused(['submit', '-'], farmDir(), 'standard input is not valid JSON', 'not json at all');
  });

  it('empty standard input', async () => {
    await refused(['submit', '-'], farmDir(), 'standard input is not valid JSON', '');
  });

  it('invalid JSON with --json as well', async () => {
    await refused(['submit', '-', '--json'], farmDir(), 'standard input is not valid JSON', '[1,');
  });

  const invalid: [string, unknown, string | RegExp][] = [
    ['not an object', [1, 2, 3], 'the job document must be a JSON object'],
    ['missing name', { job_type: 'sleep', settings: { frames: '1' } }, 'name: must be a string'],
    ['empty name', sleepJob({ name: '   ' }), 'name: must be a string'],
    ['missing job_type', { name: 'x', settings: { frames: '1' } }, 'job_type: required'],
    ['unknown job_type', sleepJob({ job_type: 'blender-render-9000' }), /job_type: unknown job type "blender-render-9000" \(known: .*sleep/],
    ['unknown field', sleepJob({ colour: 'red' }), 'colour: unknown field'],
    ['priority out of range', sleepJob({ priority: 500 }), 'priority: must be an integer from 0 to 100'],
    ['priority not an integer', sleepJob({ priority: 'high' }), 'priority: must be an integer from 0 to 100'],
    ['start_paused not a boolean', sleepJob({ start_paused: 'yes' }), 'start_paused: must be true or false'],
    ['metadata not strings', sleepJob({ metadata: { a: 1 } }), 'metadata: must be an object of strings'],
    ['missing settings', { name: 'x', job_type: 'sleep' }, 'settings: must be an object'],
    ['missing required setting', { name: 'x', job_type: 'sleep', settings: {} }, 'settings.frames: required'],
    ['bad frame range', { name: 'x', job_type: 'sleep', settings: { frames: '10-banana' } }, 'settings.frames'],
    ['unknown setting', { name: 'x', job_type: 'sleep', settings: { frames: '1', speed: 3 } }, 'settings.speed: unknown setting'],
    ['bad chunk_size', { name: 'x', job_type: 'sleep', settings: { frames: '1', chunk_size: 0 } }, 'settings.chunk_size: must be an integer ≥ 1'],
    ['tasks on a non-custom job', sleepJob({ tasks: [] }), 'tasks: only a custom job lists its tasks'],
    ['custom job without tasks', { name: 'x', job_type: 'custom' }, 'tasks: a custom job needs a non-empty array of tasks'],
    ['custom task without commands', { name: 'x', job_type: 'custom', tasks: [{ name: 'a', task_type: 'sleep' }] }, 'tasks[0].commands: must be a non-empty array'],
    ['custom task without task_type', { name: 'x', job_type: 'custom', tasks: [{ name: 'a', commands: [{ name: 'echo' }] }] }, 'tasks[0].task_type'],
    [
      'unknown parent',
      { name: 'x', job_type: 'custom', tasks: [{ name: 'a', task_type: 'sleep', parents: ['z'], commands: [{ name: 'echo' }] }] },
      'tasks[0].parents: "z" is not a task of this job',
    ],
    [
      'a dependency cycle',
      {
        name: 'x',
        job_type: 'custom',
        tasks: [
          { name: 'a', task_type: 'sleep', parents: ['b'], commands: [{ name: 'echo' }] },
          { name: 'b', task_type: 'sleep', parents: ['a'], commands: [{ name: 'echo' }] },
        ],
      },
      'tasks: the parents form a cycle',
    ],
    [
      'a late invalid task (nothing of the earlier ones is written)',
      {
        name: 'x',
        job_type: 'custom',
        tasks: [
          { name: 'a', task_type: 'sleep', commands: [{ name: 'echo' }] },
          { name: 'b', task_type: 'sleep', commands: [{ name: 'echo' }] },
          { name: 'a', task_type: 'sleep', commands: [{ name: 'echo' }] },
        ],
      },
      'tasks[2].name: "a" is used by another task of this job',
    ],
  ];

  it.each(invalid)('an invalid job: %s', async (_what, doc, message) => {
    const dir = farmDir();
    await refused(['submit', writeJob(dir, doc)], dir, message);
  });

  it('an invalid job from standard input with --json', async () => {
    await refused(['submit', '-', '--json'], farmDir(), 'priority: must be an integer from 0 to 100', JSON.stringify(sleepJob({ priority: -1 })));
  });

  it('an invalid job leaves earlier jobs alone', async () => {
    const dir = farmDir();
    const good = await runJson(['submit', writeJob(dir, sleepJob(), 'good.json'), '--data-dir', dir]);
    const r = await runCli(['submit', writeJob(dir, sleepJob({ priority: 101 }), 'bad.json'), '--data-dir', dir]);
    expect(r.code).toBe(2);
    const jobs = await jobsIn(dir);
    expect(jobs.map((j) => j.id)).toEqual([good.id]);
    expect((await runJson(['queue-status', '--data-dir', dir])).tasks.queued).toBe(2);
  });
});
