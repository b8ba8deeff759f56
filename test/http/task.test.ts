// POST (and GET) /task: status-change gate, 406/204, the Task document, variables and logs.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { claim, expectError, logPath, readLog, submitJob, taskRec, workerRec } from '../helpers/protocol';

describe('POST /task: status changes, task types and an empty queue', { timeout: 30_000 }, () => {
  it.each([
    ['asleep', false],
    ['asleep', true],
    ['shutdown', false],
    ['shutdown', true],
    ['awake', false],
    ['awake', true],
  ] as const)('answers 423 with exactly {"status_requested"} for a pending %s (lazy %s) and assigns nothing', async (status, lazy) => {
    const s = await testServer();
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    s.manager.workers.requestStatus(w.id, status, { lazy });
    for (const method of ['POST', 'GET']) {
      const r = await w.call(method, '/task');
      expect(r.status).toBe(423);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.json).toEqual({ status_requested: status });
      expect(Object.keys(r.json)).toEqual(['status_requested']);
    }
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'queued', worker_id: null });
    expect(workerRec(s, w.id).current_task).toBeNull();
  });

  it('answers 423 even when the worker still has an active task', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const t = await claim(w);
    s.manager.workers.requestStatus(w.id, 'asleep', { lazy: true });
    const r = await w.call('POST', '/task');
    expect(r.status).toBe(423);
    expect(r.json).toEqual({ status_requested: 'asleep' });
    expect(taskRec(s, t._id).status).toBe('active');
  });

  it('marks the worker seen and awake first, unless it is testing', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expect(workerRec(s, w.id).status).toBe('starting');
    s.clock.advance(7000);
    s.manager.workers.requestStatus(w.id, 'asleep');
    expect((await w.call('POST', '/task')).status).toBe(423);
    expect(workerRec(s, w.id)).toMatchObject({ status: 'awake', last_seen: s.clock.now() });

    expect((await w.call('POST', '/ack-status-change/testing')).status).toBe(204);
    expect((await w.call('POST', '/task')).status).toBe(204);
    expect(workerRec(s, w.id).status).toBe('testing');
  });

  it('answers 406 "You do not support any task types." to a worker without task types', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url, { types: [] });
    expect(workerRec(s, w.id).supported_task_types).toEqual([]);
    for (const method of ['POST', 'GET']) expectError(await w.call(method, '/task'), 406, 'You do not support any task types.');
  });

  it('answers 204 with an empty body when nothing is queued or nothing fits', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url, { types: ['blender-render'] });
    let r = await w.call('POST', '/task');
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    submitJob(s, [{ name: 'a', type: 'sleep' }]);
    r = await w.call('GET', '/task');
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
  });
});

describe('POST /task: the Task document', { timeout: 30_000 }, () => {
  it('hands out the task as a full Task document with status active', async () => {
    const s = await testServer();
    const { jobId, ids } = submitJob(
      s,
      [
        { name: 'first', priority: 10 },
        { name: 'second', parents: ['first'] },
      ],
      { priority: 70 },
    );
    const w = await registerWorker(s.url, { nickname: 'render-07' });
    const r = await w.call('POST', '/task');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = r.json;
    expect(doc).toEqual({
      _id: ids.first,
      job: jobId,
      name: 'first',
      status: 'active',
      priority: 10,
      job_priority: 70,
      job_type: 'custom',
      task_type: 'sleep',
      commands: [{ name: 'echo', settings: { message: 'task first' } }],
      parents: [],
      worker: 'render-07',
      activity: expect.any(String),
    });
    expect('failed_by_workers' in doc).toBe(false);
    expect(taskRec(s, ids.first!)).toMatchObject({ status: 'active', worker_id: w.id, last_worker_ping: s.clock.now() });
    expect(workerRec(s, w.id).current_task).toBe(ids.first);

    expect((await w.call('POST', `/tasks/${ids.first}/update`, { task_status: 'completed' })).status).toBe(204);
    const second = await claim(w);
    expect(second._id).toBe(ids.second);
    expect(second.parents).toEqual([ids.first]);
  });

  it('serves GET /task like POST /task', async () => {
    const s = await testServer();
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const r = await w.call('GET', '/task');
    expect(r.status).toBe(200);
    expect(r.json._id).toBe(ids.a);
  });

  it('hands an active task back to its worker after a restart and sign-on, and only then', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const t = await claim(w);
    s.clock.advance(30_000);
    expect((await w.call('POST', '/sign-on', { supported_task_types: ['ffmpeg'] })).status).toBe(204);
    // Type checks do not apply to a task the worker already runs.
    expect((await claim(w))._id).toBe(t._id);
    expect(taskRec(s, t._id).last_worker_ping).toBe(s.clock.now());
    // The manager did not log a second assignment.
    expect((await readLog(s, t.job, t._id)).match(/Manager assigned task/g)).toHaveLength(1);
    // Asking again without signing on: the worker is done with it (its report is on its way).
    expect((await w.call('POST', '/task')).status).toBe(204);
    expect((await w.call('POST', `/tasks/${t._id}/update`, { task_status: 'completed' })).status).toBe(204);
    expect(taskRec(s, t._id).status).toBe('completed');
  });

  it('never runs a task twice when its worker finished it while the manager was down', async () => {
    // The worker's "completed" report waits in its queue; its next /task comes first.
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a', priority: 10 }, { name: 'b' }]);
    const w = await registerWorker(s.url);
    const other = await registerWorker(s.url);
    expect((await claim(w))._id).toBe(ids.a);
    s.clock.advance(3_000);
    expect((await w.call('POST', '/task')).status).toBe(204);
    expect((await claim(other))._id).toBe(ids.b);
    expect((await w.call('POST', `/tasks/${ids.a}/update`, { task_status: 'completed' })).status).toBe(204);
    expect(taskRec(s, ids.a!).status).toBe('completed');
    expect((await readLog(s, jobId, ids.a!)).match(/Manager assigned task/g)).toHaveLength(1);
  });

  it('records the resumed task as the current task of the worker again', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const t = await claim(w);
    expect((await w.call('POST', '/sign-on', {})).status).toBe(204);
    expect(workerRec(s, w.id).current_task).toBeNull();
    expect((await claim(w))._id).toBe(t._id);
    expect(workerRec(s, w.id).current_task).toBe(t._id);
    // So output it reports is attributed to the task's job.
    expect((await w.call('POST', '/output-produced', { paths: ['/render/0001.png'] })).status).toBe(204);
    expect(s.manager.repos.jobs.get(t.job)!.last_output).toBe('/render/0001.png');
  });

  it('lists failed_by_workers once some worker failed the task', async () => {
    const s = await testServer();
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const w1 = await registerWorker(s.url, { nickname: 'one' });
    const w2 = await registerWorker(s.url, { nickname: 'two' });
    await claim(w1);
    expect((await w1.call('POST', `/tasks/${ids.a}/update`, { task_status: 'failed' })).status).toBe(204);
    expect(taskRec(s, ids.a!).status).toBe('soft-failed');
    // The worker that failed it does not get it again.
    expect((await w1.call('POST', '/task')).status).toBe(204);
    const doc = await claim(w2);
    expect(doc._id).toBe(ids.a);
    expect(doc.worker).toBe('two');
    expect(doc.failed_by_workers).toEqual([{ id: w1.id, identifier: `one (${w1.id})` }]);
  });
});

describe('POST /task: variables', { timeout: 30_000 }, () => {
  const variables = {
    blender: {
      direction: 'one-way' as const,
      values: [
        { platform: 'linux', value: '/opt/blender/blender', audience: 'workers' as const },
        { platform: 'windows', value: 'C:/Blender/blender.exe', audience: 'workers' as const },
        { platform: 'linux', value: '/users-only/blender', audience: 'users' as const },
      ],
    },
    storage: { direction: 'one-way' as const, values: [{ platform: 'linux', value: '/mnt/render', audience: 'all' as const }] },
  };
  const job = {
    name: 'vars',
    job_type: 'custom',
    tasks: [
      {
        name: 'render',
        task_type: 'blender-render',
        commands: [
          {
            name: 'blender-render',
            settings: {
              blender_cmd: '{blender} --factory-startup',
              filepath: '{storage}/shot.blend',
              unknown: '{nope} and {blender}',
              nested: { cmd: '{blender}' },
              list: ['{blender}'],
              frames: 12,
            },
          },
        ],
      },
    ],
  };

  it.each([
    ['linux', '/opt/blender/blender', '/mnt/render'],
    ['windows', 'C:/Blender/blender.exe', '{storage}'],
    ['darwin', '{blender}', '{storage}'],
  ])('replaces top-level placeholders for a %s worker and keeps the stored task unchanged', async (platform, blender, storage) => {
    const s = await testServer({ config: { variables } });
    const { id: jobId } = s.manager.jobs.submit(job);
    const w = await registerWorker(s.url, { platform, types: ['blender-render'] });
    const doc = await claim(w);
    expect(doc.commands).toEqual([
      {
        name: 'blender-render',
        settings: {
          blender_cmd: `${blender} --factory-startup`,
          filepath: `${storage}/shot.blend`,
          unknown: `{nope} and ${blender}`,
          nested: { cmd: '{blender}' },
          list: ['{blender}'],
          frames: 12,
        },
      },
    ]);
    const stored = s.manager.repos.tasks.listForJob(jobId)[0]!;
    expect(stored.commands).toEqual(job.tasks[0]!.commands);
  });
});

describe('POST /task: task logs', { timeout: 30_000 }, () => {
  it('starts the log with a "Manager assigned task" line', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url, { nickname: 'logger' });
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    await claim(w);
    expect(await readLog(s, jobId, ids.a!)).toBe(`${new Date(s.clock.now()).toISOString()}: Manager assigned task ${ids.a} to worker logger (${w.id})\n`);
  });

  it('rotates the log to .txt.1, .txt.2 … each time the task is assigned anew', async () => {
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    const id = ids.a!;
    const w1 = await registerWorker(s.url, { nickname: 'w1' });
    const w2 = await registerWorker(s.url, { nickname: 'w2' });
    await claim(w1);
    expect((await w1.call('POST', `/tasks/${id}/update`, { log: 'first run output' })).status).toBe(204);
    expect((await w1.call('POST', `/tasks/${id}/return`)).status).toBe(204);

    await claim(w2);
    expect(await readLog(s, jobId, id, '.1')).toContain('first run output');
    expect(await readLog(s, jobId, id, '.1')).toContain(`to worker w1 (${w1.id})`);
    expect(await readLog(s, jobId, id)).not.toContain('first run output');
    expect(await readLog(s, jobId, id)).toMatch(new RegExp(`^\\S+: Manager assigned task ${id} to worker w2 \\(${w2.id}\\)\\n$`));
    expect((await w2.call('POST', `/tasks/${id}/update`, { log: 'second run output' })).status).toBe(204);
    expect((await w2.call('POST', `/tasks/${id}/return`)).status).toBe(204);

    await claim(w1);
    expect(await readLog(s, jobId, id, '.2')).toContain('first run output');
    expect(await readLog(s, jobId, id, '.1')).toContain('second run output');
    expect(await readLog(s, jobId, id)).toContain('to worker w1');
    expect(existsSync(logPath(s, jobId, id) + '.3')).toBe(false);
  });
});
