// One progress everywhere: a completed task is 100 %, a running render task shows the frames
// Blender's lines in its log say are done (Flamenco Worker 2.5 itself always reports 0 %).
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { runCli, runJson } from '../helpers/cli';
import { api, expectJson } from './helpers';

const fra = (n: number) => `2026-12-07T02:33:07.785600+00:00: pid=18587 > Fra:${n} Mem:8.68M (Peak 10.25M) | Time:00:00.00 | Scene, ViewLayer | Sample 2/4`;
const saved = (n: number) => `2026-12-07T02:33:08.000000+00:00: pid=18587 > Saved: '/render/shot/${String(n).padStart(6, '0')}.png'`;

async function renderTask() {
  const s = await testServer();
  const { id: job } = s.manager.jobs.submit({
    name: 'shot 12',
    job_type: 'custom',
    tasks: [
      {
        name: 'render-1-4',
        task_type: 'blender-render',
        commands: [{ name: 'blender_render', settings: { blender_cmd: '{blender}', filepath: '/p/shot.blend', frames: '1..4' } }],
      },
      { name: 'echo', task_type: 'blender-render', parents: ['render-1-4'], commands: [{ name: 'echo', settings: { message: 'x' } }] },
    ],
  });
  const w = await registerWorker(s.url, { types: ['blender-render'] });
  const t = (await w.call('POST', '/task')).json;
  const update = (body: Record<string, unknown>) => w.call('POST', `/tasks/${t._id}/update`, body).then((r) => expect(r.status).toBe(204));
  const progress = async () => expectJson(await api(s, 'GET', `/api/tasks/${t._id}`)).progress;
  return { s, w, job, id: t._id as string, update, progress };
}

describe('task progress', { timeout: 30_000 }, () => {
  it("follows Blender's Fra: and Saved: lines of a running render task, never going back", async () => {
    const { update, progress } = await renderTask();
    // Flamenco Worker 2.5's updates: progress always 0, the log a batch of lines.
    await update({ task_progress_percentage: 0, activity: 'Starting Blender', log: fra(1) });
    expect(await progress()).toBe(0);
    await update({ task_progress_percentage: 0, log: [fra(1), saved(1), fra(2)].join('\n') });
    expect(await progress()).toBe(25);
    await update({ task_progress_percentage: 0, activity: fra(2) });
    expect(await progress()).toBe(25);
    await update({ task_progress_percentage: 0, log: [saved(2), fra(3), saved(3)].join('\n') });
    expect(await progress()).toBe(75);
  });

  it('keeps what a worker reports for a task that renders no frames', async () => {
    const { s, w, update } = await renderTask();
    await update({ task_status: 'completed' });
    const next = (await w.call('POST', '/task')).json;
    expect((await w.call('POST', `/tasks/${next._id}/update`, { task_progress_percentage: 40, log: `${fra(1)}\n${saved(1)}` })).status).toBe(204);
    expect(s.manager.readModels.task(next._id).progress).toBe(40);
  });

  it('shows a completed task as 100 % in the API, the CLI table and its JSON', async () => {
    const { s, job, id, update, progress } = await renderTask();
    await update({ task_status: 'completed', activity: 'Task completed', task_progress_percentage: 0 });
    expect(await progress()).toBe(100);
    expect(expectJson(await api(s, 'GET', `/api/jobs/${job}`)).task_list.find((t: any) => t.id === id).progress).toBe(100);
    const json = await runJson(['job', job, '--data-dir', s.dataDir]);
    expect(json.task_list.find((t: any) => t.id === id).progress).toBe(100);
    const human = await runCli(['job', job, '--data-dir', s.dataDir, '-o', 'wide']);
    expect(human.stdout.split('\n').find((l) => l.startsWith(id))).toMatch(/ completed +\S+ +100% +Task completed$/);
  });

  it('starts a new run from 0 %', async () => {
    const { s, id, update, progress } = await renderTask();
    await update({ log: [fra(2), saved(2)].join('\n') });
    expect(await progress()).toBe(50);
    expect((await api(s, 'POST', `/api/tasks/${id}/requeue`)).status).toBeLessThan(300);
    const w2 = await registerWorker(s.url, { types: ['blender-render'] });
    expect((await w2.call('POST', '/task')).json._id).toBe(id);
    expect(await progress()).toBe(0);
  });
});

describe('a long multi-line activity in the CLI', { timeout: 30_000 }, () => {
  it('fills one row: the first line in a fitted table, every line with -o wide', async () => {
    const { s, job, id, update } = await renderTask();
    const activity = `Traceback (most recent call last):\n  File "<string>", line 3\nRuntimeError: ${'y'.repeat(200)}`;
    await update({ task_status: 'failed', activity });
    const fitted = await runCli(['job', job, '--data-dir', s.dataDir], { tty: { columns: 160 } });
    const row = fitted.stdout.split('\n').find((l) => l.startsWith(id))!;
    expect(row).toMatch(/failed.* Traceback \(most recent call last\): …$/);
    expect(fitted.stdout).not.toContain('File "<string>"');
    const wide = await runCli(['job', job, '--data-dir', s.dataDir, '-o', 'wide'], { tty: { columns: 120 } });
    expect(wide.stdout.split('\n').find((l) => l.startsWith(id))).toContain(`Traceback (most recent call last): ⏎ File "<string>", line 3 ⏎ RuntimeError: ${'y'.repeat(200)}`);
  });
});
