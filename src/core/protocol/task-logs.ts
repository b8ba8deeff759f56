// Task logs on disk: <data-dir>/task-logs/job-<4 hex>/<job id>/task-<task id>.txt, rotated to
// .txt.1, .txt.2, … each time a task is assigned anew.
import { readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { storageProblem, UnavailableError } from '../support/errors';
import { isId } from '../support/ids';
import { LogWriter } from './log-writer';
import { logRuns } from './task-log-runs';

export class TaskLogs {
  constructor(
    readonly root: string,
    /** Told about a log write that failed; the task's state is not affected by it. */
    private readonly onError: (file: string, err: unknown) => void = () => undefined,
  ) {}

  dir(jobId: string): string {
    if (!isId(jobId)) throw new Error(`invalid job id ${JSON.stringify(jobId)}`);
    return path.join(this.root, `job-${jobId.slice(0, 4)}`, jobId);
  }

  file(jobId: string, taskId: string): string {
    if (!isId(taskId)) throw new Error(`invalid task id ${JSON.stringify(taskId)}`);
    return path.join(this.dir(jobId), `task-${taskId}.txt`);
  }

  /** Writes still under way per log file; each file's writes happen in the order they were asked. */
  private readonly pending = new Map<string, Promise<void>>();
  /** Where the files are written, off the event loop (log-writer.ts). */
  private readonly writer = new LogWriter();

  /**
   * Appends text (adding a final newline) without blocking the event loop: creating a task's log
   * file is the most expensive single step of handing out a task, and here it runs on the log
   * writer's thread. The promise resolves once the text is on disk and rejects with an
   * UnavailableError when it could not be written (disk full, no file handles left …), so that
   * whoever acknowledges the text can refuse instead: a worker keeps what was not acknowledged.
   */
  write(jobId: string, taskId: string, text: string): Promise<void> {
    if (text === '') return Promise.resolve();
    const file = this.file(jobId, taskId);
    const data = withNewline(text);
    return this.enqueue(file, () => this.writer.run({ op: 'append', file, data })).catch((err: unknown) => {
      throw unwritten(err);
    });
  }

  /**
   * The manager's own lines (assignment, timeout), which nobody waits for: like write, but a
   * failure only goes to onError. The promise never rejects.
   */
  append(jobId: string, taskId: string, text: string): Promise<void> {
    if (text === '') return Promise.resolve();
    const file = this.file(jobId, taskId);
    const data = withNewline(text);
    return this.enqueue(file, () => this.writer.run({ op: 'append', file, data })).catch((err: unknown) => {
      this.onError(file, err);
    });
  }

  /**
   * Appends the lines of a report that comes after the task left the worker (requeued, soft-failed
   * and handed to another) to the newest run that worker was assigned: the run's first line names
   * it. The run is looked for in the log's queue, so a rotation cannot move it meanwhile. Resolves
   * false, having written nothing, when no run of the task was that worker's.
   */
  writeToRunOf(jobId: string, taskId: string, workerId: string, text: string): Promise<boolean> {
    const file = this.file(jobId, taskId);
    const data = withNewline(text);
    let found = false;
    return this.enqueue(file, async () => {
      const run = logRuns(this, jobId, taskId)
        .reverse()
        .find((r) => r.worker?.endsWith(`(${workerId})`));
      if (!run) return;
      found = true;
      if (text !== '') await this.writer.run({ op: 'append', file: run.file, data });
    }).then(
      () => found,
      (err: unknown) => {
        throw unwritten(err);
      },
    );
  }

  /**
   * Moves the current log aside (.txt → .txt.1, .1 → .2, …) so the next run starts a fresh file.
   * It happens on the log writer's thread in the file's queue: after the writes of the run being
   * moved aside, before any write of the next run. (Even looking for the file on the main thread
   * makes it wait for file creations in the same directory.)
   */
  rotate(jobId: string, taskId: string): Promise<void> {
    const file = this.file(jobId, taskId);
    return this.enqueue(file, () => this.writer.run({ op: 'rotate', file })).catch((err: unknown) => {
      this.onError(file, err);
    });
  }

  /**
   * Starts a new run of the task's log with its first line: rotate, then append, as one step of
   * the file's queue (see log-writer.ts). Failures go to onError.
   */
  startRun(jobId: string, taskId: string, text: string): Promise<void> {
    const file = this.file(jobId, taskId);
    const data = withNewline(text);
    return this.enqueue(file, () => this.writer.run({ op: 'start-run', file, data })).catch((err: unknown) => {
      this.onError(file, err);
    });
  }

  /** Whether writes of this task's log are under way. */
  writing(jobId: string, taskId: string): boolean {
    return this.pending.has(this.file(jobId, taskId));
  }

  /** Resolves once the writes asked for so far for this task's log have finished (or failed). */
  async flushed(jobId: string, taskId: string): Promise<void> {
    const file = this.file(jobId, taskId);
    for (let p = this.pending.get(file); p; p = this.pending.get(file)) await p;
  }

  /** Resolves once every write asked for so far has finished (or failed). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending.values()]);
  }

  /** Waits for every write asked for so far, then stops the log writer's thread (a stopping manager). */
  async close(): Promise<void> {
    await this.idle();
    await this.writer.close();
  }

  /**
   * Runs step after every step already queued for the file; the steps of one file never overlap.
   * The promise rejects if the step fails; the queue goes on with the next step regardless.
   */
  private enqueue(file: string, step: () => Promise<void>): Promise<void> {
    const previous = this.pending.get(file);
    const result = previous ? previous.then(step) : step();
    const next = result.catch(() => undefined);
    this.pending.set(file, next);
    void next.then(() => {
      if (this.pending.get(file) === next) this.pending.delete(file);
    });
    return result;
  }

  removeJob(jobId: string): void {
    const dir = this.dir(jobId);
    rmSync(dir, { recursive: true, force: true });
    // A write still under way would make the directory again: remove it once more after those.
    const late = [...this.pending].filter(([file]) => file.startsWith(dir + path.sep)).map(([, p]) => p);
    if (late.length > 0) void Promise.all(late).then(() => rmSync(dir, { recursive: true, force: true }));
  }
}

/** The text as a log's lines: ending with a newline. */
function withNewline(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}

function unwritten(err: unknown): UnavailableError {
  const problem = storageProblem(err) ?? (err instanceof Error ? err.message : String(err));
  return new UnavailableError(`the task log could not be written: ${problem}; nothing was changed, try again later`);
}

export function tailOf(fd: number, size: number, lines: number): string {
  if (lines <= 0 || size === 0) return '';
  const block = 64 * 1024;
  const chunks: Buffer[] = [];
  let pos = size;
  let newlines = 0;
  // A trailing newline ends the last line; it does not start an empty one.
  let skipFinal = true;
  while (pos > 0) {
    const len = Math.min(block, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, pos);
    for (let i = len - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) {
        skipFinal = false;
        continue;
      }
      if (skipFinal) {
        skipFinal = false;
        continue;
      }
      newlines++;
      if (newlines === lines) {
        chunks.unshift(buf.subarray(i + 1));
        return Buffer.concat(chunks).toString('utf8');
      }
    }
    chunks.unshift(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
