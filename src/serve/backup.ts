// A complete backup of a farm is a directory laid out like a data directory: a consistent copy of
// the database (SQLite's online backup, safe while serve runs), then the task logs and the admin
// token. Restoring puts them into a data directory that holds no database. The backup directory
// is itself a usable data directory (every command can read it with --data-dir).
import { closeSync, copyFileSync, constants, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_TOKEN_FILE } from '../core/support/admin-token';
import { ValidationError } from '../core/support/errors';
import { fileHead } from '../core/support/file-head';
import { DB_FILE, type DB } from '../db/open';
import { fsProblem } from './data-dir';
import { CLEAN_STOP_FILE } from './db-check';
import { acquireServeLock } from './lock';

export const TASK_LOGS_DIR = 'task-logs';

export interface CopyCount {
  files: number;
  bytes: number;
}

/** What restore copied; `kept`: files already in the data directory, left as they were. */
export interface RestoreCount extends CopyCount {
  kept: number;
}

export interface BackupResult {
  dir: string;
  database: string;
  pages: number;
  task_logs: CopyCount;
  admin_token: boolean;
}

/**
 * Copies a tree of files. Serve may rotate or prune task logs while it runs: a file that is gone
 * by the time it is copied is skipped (its task was pruned, or its run lives on as `.txt.N`,
 * which the walk reaches or has reached). With `keepExisting`, files already at the target stay.
 */
export function copyTree(from: string, to: string, keepExisting = false): RestoreCount {
  const count: RestoreCount = { files: 0, bytes: 0, kept: 0 };
  const walk = (src: string, dst: string) => {
    let names: string[];
    try {
      names = readdirSync(src);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    mkdirSync(dst, { recursive: true });
    for (const name of names) {
      const s = path.join(src, name);
      const d = path.join(dst, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(s);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      if (st.isDirectory()) {
        walk(s, d);
        continue;
      }
      if (!st.isFile()) continue;
      try {
        copyFileSync(s, d, keepExisting ? constants.COPYFILE_EXCL : 0);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (keepExisting && code === 'EEXIST') count.kept++;
        if (code === 'ENOENT' || (keepExisting && code === 'EEXIST')) continue;
        throw err;
      }
      count.files++;
      count.bytes += st.size;
    }
  };
  walk(from, to);
  return count;
}

/** Refuses a target that exists or whose parent does not, before anything is written. */
export function checkNewTarget(target: string): void {
  if (existsSync(target)) throw new ValidationError(`${target} already exists; choose a new name (backup makes a directory)`);
  // Only the last part is made: a mistyped or unmounted backup folder is refused, not created
  // on the manager's own disk.
  const parent = path.dirname(target);
  if (!existsSync(parent))
    throw new ValidationError(`${parent}: no such directory; backup makes only the last part of the path: create the folder it goes in first (mkdir -p ${parent})`);
}

/**
 * Writes a complete backup of the data directory into the new directory `target`: the database
 * first (a snapshot), then the task logs, then the admin token. A log line appended during the
 * copy may or may not be in it; every task of the snapshot has its log. A failed backup removes
 * what it wrote.
 */
export async function writeBackup(db: DB, dataDir: string, target: string): Promise<BackupResult> {
  checkNewTarget(target);
  mkdirSync(target, { mode: 0o700 });
  try {
    const database = path.join(target, DB_FILE);
    // As private as the farm's files (SQLite would make the copy 0644); the other copies keep their modes.
    closeSync(openSync(database, 'wx', 0o600));
    const r = await db.backup(database);
    const { files, bytes } = copyTree(path.join(dataDir, TASK_LOGS_DIR), path.join(target, TASK_LOGS_DIR));
    const task_logs = { files, bytes };
    const token = path.join(dataDir, ADMIN_TOKEN_FILE);
    const admin_token = existsSync(token);
    if (admin_token) copyFileSync(token, path.join(target, ADMIN_TOKEN_FILE));
    return { dir: target, database, pages: r.totalPages, task_logs, admin_token };
  } catch (err) {
    rmSync(target, { recursive: true, force: true });
    throw err;
  }
}

const SQLITE_HEADER = 'SQLite format 3\0';

function isSqliteFile(file: string): boolean {
  return fileHead(file, SQLITE_HEADER.length)?.toString('latin1') === SQLITE_HEADER;
}

export interface RestoreResult {
  from: string;
  data_dir: string;
  task_logs: RestoreCount;
  admin_token: boolean;
}

/**
 * Puts a backup made by writeBackup into `dataDir`, which must hold no database (a new directory,
 * or one whose damaged database was moved aside): restoring never overwrites a farm. Holds the
 * serve lock meanwhile, so serve cannot start on a half-restored directory. Task logs already in
 * the data directory stay (they can only be newer than the backup's).
 */
export function restoreBackup(from: string, dataDir: string): RestoreResult {
  const source = path.join(from, DB_FILE);
  if (!isSqliteFile(source)) throw new ValidationError(`${from} is not a flamenco-mgr backup: it has no ${DB_FILE} (make one with 'flamenco-mgr backup <dir>')`);
  const target = path.join(dataDir, DB_FILE);
  if (existsSync(target) && statSync(target).size > 0) {
    throw new ValidationError(`${dataDir} already holds a farm's database; restore into an empty data directory, or move ${target} aside first`);
  }
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new ValidationError(`cannot use data directory ${dataDir}: ${fsProblem(err)}`);
  }
  const lock = acquireServeLock(dataDir, 'restore');
  try {
    // Whatever a lost database left behind would be replayed into the restored one.
    for (const stale of [`${DB_FILE}-wal`, `${DB_FILE}-shm`, CLEAN_STOP_FILE]) rmSync(path.join(dataDir, stale), { force: true });
    const task_logs = copyTree(path.join(from, TASK_LOGS_DIR), path.join(dataDir, TASK_LOGS_DIR), true);
    const token = path.join(from, ADMIN_TOKEN_FILE);
    const admin_token = existsSync(token) && !existsSync(path.join(dataDir, ADMIN_TOKEN_FILE));
    if (admin_token) copyFileSync(token, path.join(dataDir, ADMIN_TOKEN_FILE));
    // The database last, under a temporary name: a restore cut short leaves no database behind.
    const part = `${target}.restoring`;
    copyFileSync(source, part);
    renameSync(part, target);
    return { from, data_dir: dataDir, task_logs, admin_token };
  } finally {
    lock.release();
  }
}
