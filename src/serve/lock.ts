// One `serve` per data directory: a lock file naming the running process.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { PRIVATE_FILE } from '../core/support/file-modes';
import path from 'node:path';
import { ConflictError } from '../core/support/errors';

export const LOCK_FILE = 'serve.lock';

interface LockInfo {
  pid: number;
  listen: string;
  started: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ServeLock {
  /** Records the address actually bound (the configured one may have port 0). */
  listening(listen: string): void;
  release(): void;
}

function ours(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as LockInfo).pid === process.pid;
  } catch {
    return false;
  }
}

/**
 * Lock files this process holds. A lock naming our own pid that is not in here was left by an
 * earlier process that had the same pid (pid 1 in a container): stale.
 */
const heldHere = new Set<string>();

export function acquireServeLock(dataDir: string, listen: string): ServeLock {
  const file = path.join(dataDir, LOCK_FILE);
  if (heldHere.has(file)) {
    throw new ConflictError(`another flamenco-mgr serve is already using ${dataDir} (in this process); stop it first or use another --data-dir`);
  }
  const mine: LockInfo = { pid: process.pid, listen, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(mine) + '\n', { flag: 'wx', mode: PRIVATE_FILE });
      heldHere.add(file);
      return {
        listening(actual) {
          // Rewritten in place: the lock stays held by this process throughout.
          if (ours(file)) writeFileSync(file, JSON.stringify({ ...mine, listen: actual }) + '\n');
        },
        release() {
          heldHere.delete(file);
          try {
            if (ours(file)) unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let other: LockInfo | undefined;
    try {
      other = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    } catch {
      other = undefined;
    }
    if (other && typeof other.pid === 'number' && other.pid !== process.pid && alive(other.pid)) {
      throw new ConflictError(
        `another flamenco-mgr serve is already using ${dataDir} (pid ${other.pid}, listening on ${other.listen}, started ${other.started}); stop it first or use another --data-dir`,
      );
    }
    // A stale lock left by a process that died: take it over.
    try {
      unlinkSync(file);
    } catch {
      // someone else removed it
    }
  }
  throw new ConflictError(`could not take the serve lock ${file}`);
}
