// Where better-sqlite3's native addon comes from. The code is always bundled, so the addon's own
// lookup of prebuilds/ next to its JS does not work: we pass `nativeBinding` explicitly.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

const ADDON = 'linux-x64.node';

declare const process: NodeJS.Process & { pkg?: unknown };

/** Path of the addon to load, extracting it from the executable's snapshot when packaged. */
export function nativeBindingPath(): string {
  const bundleDir = __dirname;
  const candidates = [
    path.join(bundleDir, '..', 'node_modules', 'better-sqlite3', 'prebuilds', ADDON),
    path.join(process.cwd(), 'node_modules', 'better-sqlite3', 'prebuilds', ADDON),
  ];
  if (process.pkg) {
    // Inside the single executable the addon lives in the read-only virtual snapshot.
    const snap = path.join(bundleDir, '..', 'node_modules', 'better-sqlite3', 'prebuilds', ADDON);
    return extractToCache(readFileSync(snap));
  }
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`better-sqlite3 addon not found (looked in ${candidates.join(', ')}); run 'npm ci'`);
}

/** Writes the addon once to a cache directory named by its hash; a damaged copy is replaced. */
export function extractToCache(bytes: Buffer, dirs = cacheDirs()): string {
  const hash = createHash('sha256').update(bytes).digest('hex');
  let lastError: unknown;
  for (const dir of dirs) {
    const target = path.join(dir, hash.slice(0, 16), 'better_sqlite3.node');
    try {
      if (existsSync(target)) {
        const have = createHash('sha256').update(readFileSync(target)).digest('hex');
        if (have === hash) return target;
      }
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      const tmp = `${target}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes, { mode: 0o700 });
      renameSync(tmp, target);
      return target;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`cannot write the SQLite addon to any cache directory: ${String(lastError)}`);
}

function cacheDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.XDG_CACHE_HOME) dirs.push(path.join(process.env.XDG_CACHE_HOME, 'flamenco-mgr'));
  try {
    const home = homedir();
    if (home) dirs.push(path.join(home, '.cache', 'flamenco-mgr'));
  } catch {
    // no home directory: fall through to the temp dir
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  dirs.push(path.join(tmpdir(), `flamenco-mgr-native-${uid}`));
  return dirs;
}
