// Where better-sqlite3's native addon comes from. The code is always bundled, so the addon's own
// lookup of prebuilds/ next to its JS does not work: we pass `nativeBinding` explicitly.
//
// Inside the single executable the addon is a Node SEA asset, and a native library can only be
// loaded from a real file. It is written once to a cache directory named by its sha256 and loaded
// from there on every later start. A file found there is used only if its content has exactly that
// hash, and only from directories no other user can write to; anything else is replaced. Cache
// directories, first usable wins:
//   $XDG_CACHE_HOME/flamenco-mgr, ~/.cache/flamenco-mgr, $TMPDIR/flamenco-mgr-native-<uid>,
//   and as a last resort a fresh private temp directory removed at exit.
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import * as sea from 'node:sea';

const ADDON = 'linux-x64.node';
const ADDON_IN_PROJECT = ['node_modules', 'better-sqlite3', 'prebuilds', ADDON];
const CACHED_NAME = 'better_sqlite3.node';
/** The addon's asset key inside the executable (build.mjs puts it there). */
export const SEA_ASSET = 'better_sqlite3.node';

/**
 * What to pass as better-sqlite3's `nativeBinding`: the loaded addon inside the executable (whose
 * main script may only require builtins), its path otherwise.
 */
export function nativeBinding(): string | object {
  if (sea.isSea()) {
    let bytes: Buffer;
    try {
      bytes = Buffer.from(sea.getRawAsset(SEA_ASSET));
    } catch (err) {
      throw new Error(`this executable lacks its SQLite addon (asset ${SEA_ASSET}): ${String(err)}`);
    }
    // Loading it right away lets a directory whose files cannot be mapped executable (a noexec
    // mount) fall through to the next one.
    let addon: object | undefined;
    extractToCache(bytes, cacheDirs(), (file) => {
      addon = loadAddon(file);
    });
    return addon!;
  }
  // The bundle runs from dist/, the sources (tests) from src/db/.
  const candidates = [path.join(__dirname, '..', ...ADDON_IN_PROJECT), path.join(__dirname, '..', '..', ...ADDON_IN_PROJECT), path.join(process.cwd(), ...ADDON_IN_PROJECT)];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`better-sqlite3 addon not found (looked in ${candidates.join(', ')}); run 'npm ci'`);
}

function loadAddon(file: string): object {
  const mod = { exports: {} };
  process.dlopen(mod, file);
  return mod.exports;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Writes the addon once to `<dir>/<first 16 hex digits of its sha256>/better_sqlite3.node` in the
 * first usable directory and returns that path. An existing file is reused only when its content
 * has the addon's hash; a damaged, foreign or otherwise unexpected entry is replaced. `load`, when
 * given, must succeed on the file for a directory to count as usable.
 */
export function extractToCache(bytes: Buffer, dirs: string[] = cacheDirs(), load?: (file: string) => unknown): string {
  const hash = sha256(bytes);
  const problems: string[] = [];
  const attempt = (base: string): string => {
    const dir = privateDir(path.join(privateDir(base), hash.slice(0, 16)));
    const target = path.join(dir, CACHED_NAME);
    if (!holds(target, hash)) {
      rmSync(target, { recursive: true, force: true });
      const tmp = `${target}.${process.pid}.tmp`;
      rmSync(tmp, { recursive: true, force: true });
      writeFileSync(tmp, bytes, { mode: 0o600, flag: 'wx' });
      renameSync(tmp, target);
    }
    load?.(target);
    return target;
  };
  for (const base of dirs) {
    try {
      return attempt(base);
    } catch (err) {
      problems.push(`${base}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // Every shared location is unusable (read-only, or taken by another user): a fresh private
  // directory for this run only.
  try {
    const fresh = mkdtempSync(path.join(tmpdir(), 'flamenco-mgr-native-'));
    process.once('exit', () => rmSync(fresh, { recursive: true, force: true }));
    return attempt(fresh);
  } catch (err) {
    problems.push(`${tmpdir()}: ${err instanceof Error ? err.message : String(err)}`);
  }
  throw new Error(
    `cannot write the SQLite addon to any cache directory (set XDG_CACHE_HOME to a writable directory on a filesystem that allows executables):\n  ${problems.join('\n  ')}`,
  );
}

/** The cache directories to try, in order. */
export function cacheDirs(): string[] {
  const dirs: string[] = [];
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) dirs.push(path.join(xdg, 'flamenco-mgr'));
  try {
    const home = homedir();
    if (home && path.isAbsolute(home)) dirs.push(path.join(home, '.cache', 'flamenco-mgr'));
  } catch {
    // no home directory: fall through to the temp dir
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  dirs.push(path.join(tmpdir(), `flamenco-mgr-native-${uid}`));
  return [...new Set(dirs)];
}

/** Creates dir if needed; throws unless it is a real directory that only this user can write to. */
function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error('not a directory');
  if (typeof process.getuid === 'function') {
    if (st.uid !== process.getuid()) throw new Error(`owned by uid ${st.uid}, not by this user (uid ${process.getuid()})`);
    if ((st.mode & 0o022) !== 0) chmodSync(dir, st.mode & 0o755);
  }
  return dir;
}

/** True when file is a regular file of this user (not a link) whose content has the given hash. */
function holds(file: string, hash: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return false;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return false;
    return sha256(readFileSync(fd)) === hash;
  } finally {
    closeSync(fd);
  }
}
