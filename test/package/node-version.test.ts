// An unsupported Node gets one line and exit 1 instead of a crash in the SQLite addon; the bundle,
// bin/flamenco-mgr and package.json's engines agree on the minimum.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIN_NODE_MAJOR, unsupportedNode } from '../../src/node-version';
import { ROOT } from '../helpers/cli';

/** A Node older than the minimum on this machine (Debian's /usr/bin/node), if there is one. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    const r = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (r.status === 0 && Number(r.stdout.split('.')[0]) < MIN_NODE_MAJOR) return candidate;
  }
  return undefined;
}

describe('Node version', () => {
  it('refuses versions below the minimum and names the way out', () => {
    expect(unsupportedNode('20.20.2')).toMatch(/needs Node\.js 24 or newer, but runs on Node\.js 20\.20\.2/);
    expect(unsupportedNode('22.1.0')).toMatch(/needs Node\.js 24 or newer, but runs on Node\.js 22\.1\.0/);
    expect(unsupportedNode('24.0.0')).toBeUndefined();
    expect(unsupportedNode('25.2.1')).toBeUndefined();
  });

  it('package.json engines and bin/flamenco-mgr use the same minimum', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_MAJOR}`);
    const launcher = readFileSync(path.join(ROOT, 'bin', 'flamenco-mgr'), 'utf8');
    expect(launcher).toContain(`if [ "$major" -lt ${MIN_NODE_MAJOR} ]; then`);
  });

  const old = olderNode();
  it.skipIf(!old)('the bundle on an older Node prints one line and exits 1 (it crashed with SIGSEGV)', () => {
    const bundle = path.join(ROOT, 'dist', 'flamenco-mgr.cjs');
    const r = spawnSync(old!, [bundle, 'serve', '--data-dir', '/nonexistent/never-created'], { encoding: 'utf8' });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^flamenco-mgr: needs Node\.js 24 or newer, but runs on Node\.js \d+\.\d+\.\d+; .*\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
    // --version still answers: scripts use it to see what is installed.
    expect(spawnSync(old!, [bundle, '--version'], { encoding: 'utf8' }).status).toBe(0);
  });
});
