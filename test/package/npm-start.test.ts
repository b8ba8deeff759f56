// `npm start` must hand signals to serve itself: npm forwards SIGTERM to its script's shell, and
// a shell that wraps serve instead of becoming it dies alone and leaves serve running, orphaned.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup, tempDir } from '../helpers/env';
import { ROOT, waitFor } from '../helpers/cli';

const hasNpm = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', { timeout: 60_000 }, () => {
  it.skipIf(!hasNpm && !process.env.CI)('stops serve on SIGTERM instead of leaving it orphaned', async () => {
    const dir = tempDir();
    const npm = spawn('npm', ['start', '--silent', '--', '--data-dir', dir, '--listen', '127.0.0.1:0', '--no-ssdp'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    npm.stderr.resume();
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    let servePid: number | undefined;
    onCleanup(() => {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      if (servePid && alive(servePid)) process.kill(servePid, 'SIGKILL');
    });
    await waitFor(() => /^admin token:/m.test(out), 45_000, `the serve banner from npm start (so far: ${out})`);
    servePid = JSON.parse(readFileSync(path.join(dir, 'serve.lock'), 'utf8')).pid as number;
    expect(servePid).not.toBe(npm.pid);

    npm.kill('SIGTERM');
    await exited;
    await waitFor(() => !alive(servePid!), 10_000, `serve (pid ${servePid}) to stop after npm got SIGTERM`);
  });
});
