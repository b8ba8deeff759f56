// Every command that takes an id also takes a name or a unique id prefix (core/names.ts).
import { describe, expect, it } from 'vitest';
import { testManager } from '../helpers/env';
import { addWorker, mustClaim, submitCustom } from '../helpers/domain';
import { parseTable, runCli, runJson } from '../helpers/cli';
import { taskLabel } from '../../src/cli/format';

const WORKER_HEADERS = ['ID', 'NICKNAME', 'STATUS', 'REQUESTED', 'PLATFORM', 'ADDRESS', 'TASK', 'LAST SEEN', 'TASK TYPES'];

describe('names and id prefixes on the command line', { timeout: 30_000 }, () => {
  it('job, set-priority, pause-job, requeue and task-log take names and prefixes', async () => {
    const tm = testManager();
    const d = ['--data-dir', tm.dataDir];
    const job = submitCustom(tm, [{ name: 'render-1-10' }], { name: 'shot 12' });
    const w = await addWorker(tm, { nickname: 'node-7' });
    const task = mustClaim(tm, w);
    expect((await runJson(['job', 'shot 12', ...d])).id).toBe(job);
    expect((await runJson(['job', job.slice(0, 22), ...d])).id).toBe(job);
    expect((await runJson(['set-priority', 'shot 12', '80', ...d])).priority).toBe(80);
    expect(await runJson(['requeue', '--worker', 'node-7', ...d])).toEqual({ requeued: 1 });
    expect(await runJson(['requeue', '--task', task.id.slice(0, 23), ...d])).toEqual({ requeued: 0 });
    expect((await runCli(['task-log', task.id.slice(0, 21), ...d])).code).toBe(0);
    expect((await runJson(['set-worker-status', w.slice(0, 23), 'asleep', ...d])).id).toBe(w);
    expect(await runJson(['blocklist', '--job', 'shot 12', ...d])).toEqual([]);
    expect(await runJson(['delete-job', 'shot 12', ...d])).toEqual({ deleted: job });
  });

  it('exits 2 on an ambiguous name, listing the candidates with their ids; 3 when nothing fits', async () => {
    const tm = testManager();
    const a = submitCustom(tm, [{ name: 'x' }], { name: 'nightly' });
    const b = submitCustom(tm, [{ name: 'x' }], { name: 'nightly' });
    const r = await runCli(['cancel-job', 'nightly', '--data-dir', tm.dataDir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`flamenco-mgr: "nightly" matches 2 jobs; give one of their ids:\n  ${a}  nightly\n  ${b}  nightly\n`);
    expect(tm.manager.readModels.job(a).status).toBe('queued');
    const none = await runCli(['job', 'weekly', '--data-dir', tm.dataDir]);
    expect(none.code).toBe(3);
    expect(none.stderr).toBe('flamenco-mgr: job weekly not found\n');
  });

  it('list-workers shows the current task as job name and frames', async () => {
    const tm = testManager();
    submitCustom(tm, [{ name: 'render-1-10' }], { name: 'shot 12' });
    const w = await addWorker(tm, { nickname: 'node-7' });
    mustClaim(tm, w);
    const r = await runCli(['list-workers', '--data-dir', tm.dataDir]);
    expect(parseTable(r.stdout, WORKER_HEADERS)[0]).toMatchObject({ NICKNAME: 'node-7', TASK: 'shot 12 · 1-10' });
  });
});

describe('a running task in list-workers', () => {
  it('is its job and frames, for every job type, and its name where it has no frames', () => {
    expect(taskLabel('shot 12', 'blender-render-1-10')).toBe('shot 12 · 1-10');
    expect(taskLabel('shot 12', 'sleep-6')).toBe('shot 12 · 6');
    expect(taskLabel('shot 12', 'render-1,2')).toBe('shot 12 · 1,2');
    // A progressive render's chunks: frames after f_, samples (s_) are not frames.
    expect(taskLabel('shot 12', 'render-s_4-8-f_1-4')).toBe('shot 12 · 1-4');
    expect(taskLabel('shot 12', 'merge-to-s_8-f_1-4')).toBe('shot 12 · 1-4');
    expect(taskLabel('shot 12', 'create-preview-images-s_3')).toBe('shot 12 · create-preview-images-s_3');
    expect(taskLabel('shot 12', 'preview-video')).toBe('shot 12 · preview-video');
    expect(taskLabel(null, null)).toBe('-');
  });
});
