// `worker-tags`, on the data dir of a running manager with a worker registered over HTTP.
import { describe, expect, it } from 'vitest';
import { runCli, runJson, STACK_LINE } from '../helpers/cli';
import { registerWorker, testServer } from '../helpers/env';

describe('flamenco-mgr worker-tags', { timeout: 30_000 }, () => {
  it("shows and changes a worker's tags by id or nickname", async () => {
    const s = await testServer();
    const dir = s.dataDir;
    const w = await registerWorker(s.url, { nickname: 'render-07' });
    const d = ['--data-dir', dir];
    expect((await runCli(['worker-tags', 'render-07', ...d])).stdout).toBe(`worker ${w.id} (render-07): no tags\n`);
    expect((await runCli(['worker-tags', w.id, '--set', 'gpu, linux', ...d])).stdout).toBe(`worker ${w.id} (render-07): gpu, linux\n`);
    expect(await runJson(['worker-tags', 'render-07', '--add', 'eevee', ...d])).toEqual({ id: w.id, nickname: 'render-07', tags: ['gpu', 'linux', 'eevee'] });
    expect((await runJson(['worker-tags', 'render-07', '--remove', 'linux', ...d])).tags).toEqual(['gpu', 'eevee']);
    expect((await runJson(['list-workers', ...d]))[0].tags).toEqual(['gpu', 'eevee']);
    expect((await runJson(['worker-tags', 'render-07', '--clear', ...d])).tags).toEqual([]);
  });

  it('refuses bad input with one line and exit 2, an unknown worker with exit 3', async () => {
    const s = await testServer();
    const dir = s.dataDir;
    await registerWorker(s.url, { nickname: 'render-07' });
    const d = ['--data-dir', dir];
    for (const args of [
      ['--add', 'a b'],
      ['--add', 'x', '--clear'],
      ['--set', 'ok,no way'],
    ]) {
      const r = await runCli(['worker-tags', 'render-07', ...args, ...d]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain(STACK_LINE);
    }
    expect((await runCli(['worker-tags', 'nobody', ...d])).code).toBe(3);
    expect((await runJson(['worker-tags', 'render-07', ...d])).tags).toEqual([]);
  });
});
