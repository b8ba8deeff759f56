// `node bench/request-cost.mjs [--tasks n] [--rounds r]`: bundles bench/request-cost.ts and runs
// it with this node (see that file).
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const out = mkdtempSync(path.join(tmpdir(), 'flamenco-mgr-request-cost-build-'));
const bundle = path.join(out, 'request-cost.cjs');
await build({
  entryPoints: [path.join(root, 'bench', 'request-cost.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  logLevel: 'error',
});
const child = spawn(process.execPath, [bundle, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => {
  rmSync(out, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
