// Opens (and creates) the one SQLite file of a data directory: pragmas, then migrations.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { PRIVATE_DIR, PRIVATE_FILE } from '../core/support/file-modes';
import path from 'node:path';
import { MIGRATIONS } from './migrations';
import { nativeBinding } from './native';

export type DB = Database.Database;

export const DB_FILE = 'flamenco-mgr.sqlite';

/**
 * How long a statement waits for another process's write lock. Workers time out after 3 s, so
 * a request must never wait anywhere near that long.
 */
export const BUSY_TIMEOUT_MS = 1500;

let binding: string | object | undefined;

/**
 * SQL statements run on the connections this process opened, counted only when the environment
 * has FLAMENCO_MGR_COUNT_STATEMENTS=1 (the bench's statements-per-cycle figure, shown in /metrics):
 * counting makes SQLite expand every statement's text, which costs time.
 */
export const statementCount = { enabled: process.env.FLAMENCO_MGR_COUNT_STATEMENTS === '1', total: 0 };
const countStatement = () => {
  statementCount.total++;
};

export function openDatabase(dataDir: string, opts: { migrate?: boolean; backfills?: Backfills } = {}): DB {
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR });
  binding ??= nativeBinding();
  const file = path.join(dataDir, DB_FILE);
  createPrivately(file);
  // better-sqlite3 takes a path or the loaded addon object; its typings only name the path.
  const db = new Database(file, {
    nativeBinding: binding as string,
    timeout: BUSY_TIMEOUT_MS,
    ...(statementCount.enabled ? { verbose: countStatement } : {}),
  });
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a committed transaction survives a crash or kill of the process.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  // 16 MiB of page cache: the hot pages (dispatch index, active tasks, workers) fit easily, and
  // serve stays small at 10 000 workers and a million tasks.
  db.pragma('cache_size = -16384');
  if (opts.migrate !== false) migrate(db, opts.backfills);
  return db;
}

/**
 * SQLite creates a database as 0644 less the umask, and its -wal and -shm files with the
 * database's mode: made here first as an empty file of mode 0600 (which SQLite takes as an
 * empty database), all three are private whatever the umask.
 */
function createPrivately(file: string): void {
  try {
    closeSync(openSync(file, 'wx', PRIVATE_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * Narrows what an older serve made readable to others (the database, its -wal and -shm, the
 * folders of task logs and rendered images) to the modes serve now creates them with; at start.
 */
export function makeFarmPrivate(dataDir: string): void {
  const modes: [string, number][] = [
    [DB_FILE, PRIVATE_FILE],
    [`${DB_FILE}-wal`, PRIVATE_FILE],
    [`${DB_FILE}-shm`, PRIVATE_FILE],
    ['task-logs', PRIVATE_DIR],
    ['last-rendered', PRIVATE_DIR],
  ];
  for (const [f, mode] of modes) {
    try {
      chmodSync(path.join(dataDir, f), mode);
    } catch {
      // Absent, or not ours to change: SQLite then reports what matters when it opens it.
    }
  }
}

export class SchemaTooNewError extends Error {}

/**
 * The program's own rules that migrations apply to the rows a database has already, handed in by
 * the layer that owns them (core/jobs/dialects.ts: MIGRATION_BACKFILLS). Without them a migration
 * that needs one refuses to run on a database with such rows; a new database has none.
 */
export interface Backfills {
  /** Whether a Flamenco 3 Worker can run a task with these commands (tasks-repo.ts's Command). */
  v3Equivalent(commands: { name: string; settings: Record<string, unknown> }[]): boolean;
}

const NO_BACKFILLS: Backfills = {
  v3Equivalent: () => {
    throw new Error('this database has tasks from before the worker generations; open it with flamenco-mgr serve to upgrade it');
  },
};

export function migrate(db: DB, backfills: Backfills = NO_BACKFILLS): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new SchemaTooNewError(`this database has schema version ${current}, newer than this flamenco-mgr understands (${MIGRATIONS.length}); use a newer flamenco-mgr`);
  }
  if (current === MIGRATIONS.length) return;
  // Backfills that need the program's own rules, not SQL's.
  db.function('v3_equivalent', { deterministic: true }, (commands: unknown) => v3EquivalentColumn(commands, backfills));
  db.transaction(() => {
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}

/** tasks.v3_equivalent of a stored `commands` value; a value that is not a list of commands is no task for v3. */
function v3EquivalentColumn(commands: unknown, backfills: Backfills): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(commands));
  } catch {
    return 0;
  }
  const ok =
    Array.isArray(parsed) && parsed.every((c) => typeof c === 'object' && c !== null && typeof c.name === 'string' && typeof c.settings === 'object' && c.settings !== null);
  return ok && backfills.v3Equivalent(parsed as { name: string; settings: Record<string, unknown> }[]) ? 1 : 0;
}
