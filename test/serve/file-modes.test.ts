// Everything serve writes into the data directory is the service account's alone: files 0600,
// folders 0700, whatever the umask serve was started with (a real serve process started by a
// shell that set the umask).
import { chmodSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServe } from '../helpers/cli';
import { registerWorker, request, tempDir } from '../helpers/env';
import { gradientPng } from '../helpers/png';

/** Every entry below dir with its kind and mode, as "relative/path f0600" or "relative/path d0700". */
function modes(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      out.push(`${path.relative(dir, p)} ${st.isDirectory() ? 'd' : 'f'}${(st.mode & 0o777).toString(8).padStart(4, '0')}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('the modes of what serve writes', { timeout: 60_000 }, () => {
  it.each(['022', '000'])('are 0600 and 0700 under umask %s', async (text) => {
    const umask = parseInt(text, 8);
    const base = tempDir();
    const dir = path.join(base, 'farm', 'data');
    // Frames are shown from below shared storage (or a job's output): the frame below goes there.
    const config = path.join(base, 'farm.json');
    writeFileSync(config, JSON.stringify({ listen: '127.0.0.1:0', shared_storage: base }));
    const s = await startServe(['--data-dir', dir, '--config', config], { umask });
    const token = readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    const job = await request(s.url, 'POST', '/api/jobs', {
      auth: `Bearer ${token}`,
      body: { name: 'j', job_type: 'sleep', settings: { frames: '1' } },
    });
    expect(job.status, job.text).toBe(201);
    const w = await registerWorker(s.url, { types: ['sleep'] });
    const task = (await w.call('POST', '/task')).json;
    expect((await w.call('POST', `/tasks/${task._id}/update`, { log: 'a log line\n', activity: 'sleeping' })).status).toBe(204);
    const frame = path.join(base, 'frame.png');
    writeFileSync(frame, gradientPng(8, 8));
    expect((await w.call('POST', '/output-produced', { paths: [frame] })).status).toBe(204);
    // The copy of the image is made off the request path: wait until it is there.
    for (let i = 0; i < 100 && !modes(dir).some((m) => m.startsWith('last-rendered/')); i++) await new Promise((r) => setTimeout(r, 50));

    const running = modes(dir);
    for (const want of [
      'flamenco-mgr.sqlite ',
      'flamenco-mgr.sqlite-wal ',
      'flamenco-mgr.sqlite-shm ',
      'admin-token ',
      'serve-config.json ',
      'serve.lock ',
      'task-logs ',
      'last-rendered ',
    ]) {
      expect(
        running.some((m) => m.startsWith(want)),
        `${want}in ${running.join(', ')}`,
      ).toBe(true);
    }
    expect(running.some((m) => /^task-logs\/.*\.txt /.test(m))).toBe(true);
    expect((await s.stop()).code).toBe(0);
    const all = [...new Set([...running, ...modes(dir)])];
    expect(all.some((m) => m.startsWith('serve-stopped-cleanly.json '))).toBe(true);
    expect(all.filter((m) => !/ (f0600|d0700)$/.test(m))).toEqual([]);
    // The data directory itself, made by serve.
    expect((lstatSync(dir).mode & 0o777).toString(8)).toBe('700');
  });

  it('narrows the database and the log folder of a farm that an older serve left readable', async () => {
    const dir = tempDir();
    const first = await startServe(['--data-dir', dir]);
    await first.stop();
    for (const f of ['flamenco-mgr.sqlite']) chmodSync(path.join(dir, f), 0o644);
    const s = await startServe(['--data-dir', dir], { umask: 0o022 });
    expect((lstatSync(path.join(dir, 'flamenco-mgr.sqlite')).mode & 0o777).toString(8)).toBe('600');
    await s.stop();
  });
});
