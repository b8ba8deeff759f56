// One `serve` per data directory: a lock file naming the running process.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConflictError } from '../core/errors';

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

export function acquireServeLock(dataDir: string, listen: string): () => void {
  const file = path.join(dataDir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, listen, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(mine) + '\n', { flag: 'wx', mode: 0o644 });
      return () => {
        try {
          const cur = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
          if (cur.pid === process.pid) unlinkSync(file);
        } catch {
          // already gone
        }
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
