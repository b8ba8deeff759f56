// What every subcommand needs: the data directory, the database, a manager on it.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Manager } from '../core/manager';
import { ownValue } from '../core/support/own';
import type { ManagerConfig } from '../core/support/config';
import type { Logger } from '../core/support/logger';
import { DB_FILE, openDatabase, type DB } from '../db/open';

export const DEFAULT_DATA_DIR = './flamenco-data';
export const DATA_DIR_ENV = 'FLAMENCO_MGR_DATA_DIR';

export interface CommonOptions {
  dataDir?: string;
  json?: boolean;
}

export function resolveDataDir(opt: string | undefined): string {
  return path.resolve(opt ?? process.env[DATA_DIR_ENV] ?? DEFAULT_DATA_DIR);
}

/** Adds --data-dir and --json to a subcommand. */
export function common(cmd: Command, json = true): Command {
  cmd.option('--data-dir <dir>', `data directory (default: $${DATA_DIR_ENV} or ${DEFAULT_DATA_DIR})`);
  if (json) cmd.option('--json', 'print JSON instead of a table');
  return cmd;
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

/** Creates the data directory if needed; a path that is not a usable directory is refused. */
export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' ? 'it is not a directory' : fsProblem(err);
    throw new DataDirError(`cannot use data directory ${dir}: ${why}`);
  }
  if (!statSync(dir).isDirectory()) throw new DataDirError(`cannot use data directory ${dir}: it is not a directory`);
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

function openDataDir(dataDir: string): DB {
  ensureDataDir(dataDir);
  try {
    return openDatabase(dataDir);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const file = path.join(dataDir, DB_FILE);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new DataDirError(`${file} is not a usable SQLite database (${(err as Error).message})`);
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_IOERR') {
      throw new DataDirError(`cannot open the database ${file}: ${(err as Error).message}`);
    }
    if (typeof code === 'string' && code.startsWith('E')) throw new DataDirError(`cannot open the database in ${dataDir}: ${fsProblem(err)}`);
    throw err;
  }
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

export interface Opened {
  db: DB;
  manager: Manager;
  dataDir: string;
  close(): void;
}

/**
 * Opens the data directory's manager. Only `serve` creates a new database (`create`): any other
 * command on a directory without one is a mistyped --data-dir, and an empty farm would mislead.
 */
export function openManager(opts: CommonOptions, extra: { config?: ManagerConfig; logger?: Logger; create?: boolean } = {}): Opened {
  const dataDir = resolveDataDir(opts.dataDir);
  if (!extra.create) requireDatabase(dataDir);
  const db = openDataDir(dataDir);
  let manager: Manager;
  try {
    manager = new Manager({ db, dataDir, config: extra.config, logger: extra.logger });
  } catch (err) {
    db.close();
    throw err;
  }
  return { db, manager, dataDir, close: () => db.close() };
}

/** Runs fn with a manager opened on the data directory, closing the database afterwards. */
export function withManager<T>(opts: CommonOptions, fn: (o: Opened) => T): T {
  const o = openManager(opts);
  try {
    return fn(o);
  } finally {
    o.close();
  }
}
