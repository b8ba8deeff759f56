// bin/flamenco-mgr installed through a symlink (/usr/local/bin/flamenco-mgr → the checkout's
// bin/flamenco-mgr, or a chain of relative links) finds its installation: its pinned Node and
// its bundle. Before, it looked for them next to the link.
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
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
