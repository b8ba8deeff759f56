// Serve's guards around its database file: an integrity check at start, and a watch that notices
// the file being deleted or replaced under a running serve (which would otherwise keep answering
// from a file nobody will ever open again, and come back as an empty farm after a restart).
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { PRIVATE_FILE } from '../core/support/file-modes';
import path from 'node:path';
import { DB_FILE, type DB } from '../db/open';
import { DataDirError, RESTORE_HINT } from './data-dir';

/** Written by a serve that stopped cleanly: the database file as it left it. */
export const CLEAN_STOP_FILE = 'serve-stopped-cleanly.json';

interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

function identity(file: string): FileIdentity | undefined {
  try {
    const s = statSync(file);
    return { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameFile(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return !!a && !!b && a.dev === b.dev && a.ino === b.ino;
}

/**
 * Whether the database is exactly as a clean stop of serve left it: same file, size and
 * modification time, and no write-ahead log. Then the integrity check may be skipped, which
 * keeps restarts of a large farm fast (PRAGMA quick_check reads every page: about a second for a
 * million tasks). After a crash, a kill, a copy or a restore it always runs.
 */
function unchangedSinceCleanStop(dataDir: string): boolean {
  const marker = path.join(dataDir, CLEAN_STOP_FILE);
  let recorded: FileIdentity;
  try {
    recorded = JSON.parse(readFileSync(marker, 'utf8')) as FileIdentity;
  } catch {
    return false;
  }
  const now = identity(path.join(dataDir, DB_FILE));
  const wal = identity(path.join(dataDir, `${DB_FILE}-wal`));
  return sameFile(recorded, now) && recorded.size === now!.size && recorded.mtimeMs === now!.mtimeMs && (!wal || wal.size === 0);
}

/**
 * PRAGMA quick_check on the opened database, unless it is untouched since serve's last clean
 * stop. A damaged database is refused with what to do. Returns whether the check ran.
 */
export function checkIntegrity(db: DB, dataDir: string): boolean {
  const skip = unchangedSinceCleanStop(dataDir);
  // Whatever happens from here on, the next start checks unless this serve stops cleanly.
  rmSync(path.join(dataDir, CLEAN_STOP_FILE), { force: true });
  if (skip) return false;
  let problems: string[];
  try {
    // A row may itself hold several lines ("*** in database main ***\nTree 9 page 131: …"): the
    // refusal stays one line.
    problems = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check.split('\n').join('; '));
  } catch (err) {
    problems = [(err as Error).message];
  }
  if (problems.length === 1 && problems[0] === 'ok') return true;
  throw new DataDirError(`the database ${path.join(dataDir, DB_FILE)} is damaged (PRAGMA quick_check: ${problems.join('; ')}); serve refuses to run on it: ${RESTORE_HINT}`);
}

/** Records the database file after a clean stop (the database must be closed). */
export function recordCleanStop(dataDir: string): void {
  const id = identity(path.join(dataDir, DB_FILE));
  if (id) writeFileSync(path.join(dataDir, CLEAN_STOP_FILE), JSON.stringify(id) + '\n', { mode: PRIVATE_FILE });
}

/**
 * Returns a check to run on a timer: undefined while the database path still names the file serve
 * opened, else what happened to it.
 */
export function databaseFileWatch(dataDir: string): () => string | undefined {
  const file = path.join(dataDir, DB_FILE);
  const opened = identity(file);
  return () => {
    const now = identity(file);
    if (!now) return `the database file ${file} was deleted while serve was running`;
    if (!sameFile(opened, now)) return `the database file ${file} was replaced by another file while serve was running`;
    return undefined;
  };
}
