// The Node flags of src/node-flags.json reach every way the program starts: the executable (SEA
// execArgv), the bin/ launcher and `npm start`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

const FLAGS: string[] = JSON.parse(readFileSync(path.join(ROOT, 'src', 'node-flags.json'), 'utf8')).node;
const EXECUTABLE = path.join(ROOT, 'dist', 'flamenco-mgr');

describe('Node flags', () => {
  it('are passed by bin/flamenco-mgr and npm start', () => {
    expect(FLAGS.length).toBeGreaterThan(0);
    const launcher = readFileSync(path.join(ROOT, 'bin', 'flamenco-mgr'), 'utf8');
    const start = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start as string;
    for (const f of FLAGS) {
      expect(launcher).toMatch(new RegExp(`exec "\\$node" [^\\n]*${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(start).toContain(`node ${f}`);
    }
  });

  it.skipIf(!existsSync(EXECUTABLE))('are built into the executable, which still takes its own arguments', () => {
    // NODE_OPTIONS is the one way to make the executable run code of our choosing before main.
    const r = spawnSync(EXECUTABLE, ['--version'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', NODE_OPTIONS: `--require=${path.join(ROOT, 'test', 'fixtures', 'print-exec-argv.cjs')}` },
    });
    expect(r.status, r.stderr).toBe(0);
    const printed = JSON.parse(r.stderr.trim().split('\n')[0]!) as string[];
    for (const f of FLAGS) expect(printed).toContain(f);
    expect(r.stdout).toMatch(/^flamenco-mgr \d+\.\d+\.\d+/);
  });
});
