// Reading a task's log, the one way every reader does it (serve's /logfile and
// /api/tasks/{id}/log, the CLI's task-log): a run is opened once, so that its size and what is
// read of it come from the same look at the file, and a line appended in between is neither lost
// nor read twice by a reader that goes on from that size.
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { logRuns, pickRun, runsOfTask } from './task-log-runs';
import { type TaskLogs, tailOf } from './task-logs';

/** One run's log, open for one read: each read below closes it. */
export class OpenLog {
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** The last `lines` lines (all of them: Number.MAX_SAFE_INTEGER). */
  tail(lines: number): string {
    try {
      return tailOf(this.fd, this.size, lines);
    } finally {
      this.close();
    }
  }

  /** The bytes from `start` up to the size seen at opening. */
  bytesFrom(start: number): Buffer {
    try {
      const data = Buffer.alloc(Math.max(0, this.size - start));
      let pos = 0;
      while (pos < data.length) {
        const n = readSync(this.fd, data, pos, data.length - pos, start + pos);
        if (n <= 0) break;
        pos += n;
      }
      return data.subarray(0, pos);
    } finally {
      this.close();
    }
  }

  /** Bytes `start` to `end` (inclusive) as a stream, which closes the file when it ends or is destroyed. */
  stream(start = 0, end = this.size - 1): Readable {
    return createReadStream('', { fd: this.fd, start, end, autoClose: true });
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * A task's runs that have a log, oldest first, and the worker that ran each. Lines this process
 * queued (the manager's own "assigned …") are on disk before the runs are listed.
 */
export async function taskLogRuns(logs: TaskLogs, jobId: string, taskId: string): Promise<{ run: number; worker: string | null }[]> {
  await logs.flushed(jobId, taskId);
  return runsOfTask(logs, jobId, taskId);
}

/**
 * Opens run `run` of a task's log (1 = the first; a run it does not have is a ValidationError),
 * or its current run; undefined when there is no such log yet. Writes still under way for it land
 * first, so what is read holds every line the manager has acknowledged.
 */
export async function openTaskLog(logs: TaskLogs, jobId: string, taskId: string, run?: number): Promise<OpenLog | undefined> {
  await logs.flushed(jobId, taskId);
  const file = run === undefined ? logs.file(jobId, taskId) : pickRun(logRuns(logs, jobId, taskId), taskId, run)!.file;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  return new OpenLog(fd, fstatSync(fd).size);
}
