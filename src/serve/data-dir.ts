// The data directory: where it is, what makes it a farm's, and opening its database. Shared by
// serve and every CLI command, so they judge a directory the same way.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ownValue } from '../core/support/own';
import { PRIVATE_DIR } from '../core/support/file-modes';
import { DB_FILE, openDatabase, type DB } from '../db/open';
import { MIGRATION_BACKFILLS } from '../core/jobs/dialects';

export const DEFAULT_DATA_DIR = './flamenco-data';
export const DATA_DIR_ENV = 'FLAMENCO_MGR_DATA_DIR';

export function resolveDataDir(opt: string | undefined): string {
  return path.resolve(opt ?? process.env[DATA_DIR_ENV] ?? DEFAULT_DATA_DIR);
}

/** The data directory or its database cannot be used; the message says why. */
export class DataDirError extends Error {}

const FS_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EEXIST: 'already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENAMETOOLONG: 'name too long',
};

/** A file-system error in words ("no such file or directory"), for messages. */
export function fsProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return (e?.code && ownValue(FS_PROBLEMS, e.code)) ?? e?.code ?? String(err);
}

/**
 * Creates the data directory if needed; a path that is not a usable directory is refused. Returns
 * the topmost directory it created (undefined when the directory was there).
 */
export function ensureDataDir(dir: string): string | undefined {
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' ? 'it is not a directory' : fsProblem(err);
    throw new DataDirError(`cannot use data directory ${dir}: ${why}`);
  }
  if (!statSync(dir).isDirectory()) throw new DataDirError(`cannot use data directory ${dir}: it is not a directory`);
  return created;
}

/** What a start that failed must take away again: the directories and files it made. */
export interface DataDirTrace {
  /** The topmost directory made for the data directory, if it was made. */
  created: string | undefined;
  /** The data directory's entries before the start (when it was there). */
  entries: Set<string>;
}

/** Makes the data directory if needed and notes what was there, so that undoNewFiles can take away what a failed start adds. */
export function enterDataDir(dir: string): DataDirTrace {
  let entries = new Set<string>();
  try {
    entries = new Set(readdirSync(dir));
  } catch {
    // Not there yet (or unreadable: ensureDataDir says why).
  }
  return { created: ensureDataDir(dir), entries };
}

/**
 * After a start that failed (the port was taken, the database refused): removes the data directory
 * when the start made it, else the files the start added, so a failed start leaves nothing new. A
 * farm's directory (it had a database) is left as it is: a write-ahead log made by this start may
 * hold what a CLI command wrote meanwhile.
 */
export function undoNewFiles(dir: string, trace: DataDirTrace): void {
  try {
    if (trace.created !== undefined) {
      rmSync(trace.created, { recursive: true, force: true });
      return;
    }
    if (trace.entries.has(DB_FILE)) return;
    for (const name of readdirSync(dir)) if (!trace.entries.has(name)) rmSync(path.join(dir, name), { recursive: true, force: true });
  } catch {
    // Best effort: the start's own error is the one to report.
  }
}

/** Refuses a path that exists but is no directory, without creating anything; an absent one passes. */
function checkExistingDataDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new DataDirError(`cannot use data directory ${dir}: ${fsProblem(err)}`);
  }
  if (!isDir) throw new DataDirError(`cannot use data directory ${dir}: it is not a directory`);
}

/**
 * Refuses a data directory without a database, creating nothing: only `serve` makes a farm, and
 * any other command there is a mistyped --data-dir.
 */
export function requireDatabase(dataDir: string): void {
  checkExistingDataDir(dataDir);
  if (!existsSync(path.join(dataDir, DB_FILE))) {
    throw new DataDirError(
      `no flamenco-mgr database in ${dataDir}: start 'flamenco-mgr serve' with this data directory first, or point --data-dir (or $${DATA_DIR_ENV}) at the manager's data directory`,
    );
  }
}

/** How to get a farm back: every refusal of a damaged or missing database says it. */
export const RESTORE_HINT = `restore it from a backup (made with 'flamenco-mgr backup'): stop serve, move ${DB_FILE} (and its -wal file) aside, then run 'flamenco-mgr restore <backup> --data-dir <this directory>'`;

/** The configuration serve runs with, recorded for the other commands (see serve/config-file.ts). */
export const EFFECTIVE_CONFIG_FILE = 'serve-config.json';

/** Files a farm leaves in its data directory besides the database (serve.lock is not one: it can be stale). */
const FARM_TRACES = ['task-logs', 'admin-token', EFFECTIVE_CONFIG_FILE, `${DB_FILE}-wal`];

/**
 * A missing or empty (0-byte) database in a directory that held a farm means the farm's state was
 * lost (deleted, truncated, a failed copy): starting there would silently serve an empty farm.
 * It is refused unless the operator says the farm is new (`serve --new-farm`).
 */
export function checkFarmDatabase(dataDir: string, newFarm: boolean): void {
  const file = path.join(dataDir, DB_FILE);
  let size: number | undefined;
  try {
    size = statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataDirError(`cannot use the database ${file}: ${fsProblem(err)}`);
  }
  if (size !== undefined && size > 0) return;
  const traces = FARM_TRACES.filter((t) => existsSync(path.join(dataDir, t)));
  if (traces.length === 0) return;
  if (!newFarm) {
    throw new DataDirError(
      `the database ${file} is ${size === undefined ? 'missing' : 'empty (0 bytes)'}, but ${dataDir} held a farm (it has ${traces.join(', ')}): ` +
        `${RESTORE_HINT}; or, to start an empty farm here on purpose, run serve once with --new-farm`,
    );
  }
  // A write-ahead log without its database would be replayed into the new, empty one.
  for (const stale of [`${DB_FILE}-wal`, `${DB_FILE}-shm`]) rmSync(path.join(dataDir, stale), { force: true });
}

/** Opens (creating if needed) the data directory's database; every failure is a DataDirError saying why. */
export function openFarmDatabase(dataDir: string): DB {
  ensureDataDir(dataDir);
  try {
    return openDatabase(dataDir, { backfills: MIGRATION_BACKFILLS });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const file = path.join(dataDir, DB_FILE);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new DataDirError(`${file} is not a usable SQLite database (${(err as Error).message}); ${RESTORE_HINT}`);
    }
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_IOERR') {
      throw new DataDirError(`cannot open the database ${file}: ${(err as Error).message}`);
    }
    if (typeof code === 'string' && code.startsWith('E')) throw new DataDirError(`cannot open the database in ${dataDir}: ${fsProblem(err)}`);
    throw err;
  }
}
