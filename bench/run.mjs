// `npm run bench [-- --quick]`: builds the product (dist/flamenco-mgr.cjs, which the scenarios
// run as `serve` and CLI child processes, and the single executable dist/flamenco-mgr), bundles
// bench/main.ts, and runs it with this node.
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const args = process.argv.slice(2);

if (!args.includes('--help') && !args.includes('-h')) {
  const b = spawnSync(process.execPath, [path.join(root, 'build.mjs'), '--executable'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const out = mkdtempSync(path.join(tmpdir(), 'flamenco-mgr-bench-build-'));
const bundle = path.join(out, 'bench.cjs');
await build({
  entryPoints: [path.join(root, 'bench', 'main.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
});

// cwd = the repository: the bundled product code finds the SQLite addon under node_modules/.
const child = spawn(process.execPath, ['--enable-source-maps', bundle, ...args], { cwd: root, stdio: 'inherit' });
const forward = (sig) => child.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => {
  rmSync(out, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
