// Task logs on disk: <data-dir>/task-logs/job-<4 hex>/<job id>/task-<task id>.txt, rotated to
// .txt.1, .txt.2, … each time a task is assigned anew.
import { close as fsClose, mkdir as fsMkdir, open as fsOpen, readSync, rmSync, write as fsWrite } from 'node:fs';
import { access, rename } from 'node:fs/promises';
import path from 'node:path';
import { storageProblem, UnavailableError } from '../support/errors';
import { isId } from '../support/ids';
import { PRIVATE_DIR, PRIVATE_FILE } from '../support/file-modes';
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

  /**
   * Appends text (adding a final newline) without blocking the event loop: creating a task's log
   * file is the most expensive single step of handing out a task, and here it runs on libuv's
   * thread pool. The promise resolves once the text is on disk and rejects with an
   * UnavailableError when it could not be written (disk full, no file handles left …), so that
   * whoever acknowledges the text can refuse instead: a worker keeps what was not acknowledged.
   */
  write(jobId: string, taskId: string, text: string): Promise<void> {
    if (text === '') return Promise.resolve();
    const file = this.file(jobId, taskId);
    const data = text.endsWith('\n') ? text : text + '\n';
    return this.enqueue(file, () => appendRaw(file, data)).catch((err: unknown) => {
      const problem = storageProblem(err) ?? (err instanceof Error ? err.message : String(err));
      throw new UnavailableError(`the task log could not be written: ${problem}; nothing was changed, try again later`);
    });
  }

  /**
   * The manager's own lines (assignment, timeout), which nobody waits for: like write, but a
   * failure only goes to onError. The promise never rejects.
   */
  append(jobId: string, taskId: string, text: string): Promise<void> {
    if (text === '') return Promise.resolve();
    const file = this.file(jobId, taskId);
    const data = text.endsWith('\n') ? text : text + '\n';
    return this.enqueue(file, () => appendRaw(file, data)).catch((err: unknown) => {
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
    const data = text.endsWith('\n') ? text : text + '\n';
    let found = false;
    return this.enqueue(file, async () => {
      const run = logRuns(this, jobId, taskId)
        .reverse()
        .find((r) => r.worker?.endsWith(`(${workerId})`));
      if (!run) return;
      found = true;
      if (text !== '') await appendRaw(run.file, data);
    }).then(
      () => found,
      (err: unknown) => {
        const problem = storageProblem(err) ?? (err instanceof Error ? err.message : String(err));
        throw new UnavailableError(`the task log could not be written: ${problem}; nothing was changed, try again later`);
      },
    );
  }

  /**
   * Moves the current log aside (.txt → .txt.1, .1 → .2, …) so the next run starts a fresh file.
   * It happens on the thread pool in the file's queue: after the writes of the run being moved
   * aside, before any write of the next run. (Even looking for the file on the main thread makes
   * it wait for the thread pool's file creations in the same directory.)
   */
  rotate(jobId: string, taskId: string): Promise<void> {
    const file = this.file(jobId, taskId);
    return this.enqueue(file, () => rotateFile(file)).catch((err: unknown) => {
      this.onError(file, err);
    });
  }

  /**
   * Starts a new run of the task's log with its first line: rotate, then append, as one step of
   * the file's queue. The file is created exclusively first: it is new for nearly every run (a
   * task's first), and a failed exclusive create is the look for an old run to move aside, so the
   * usual run costs the main thread one file operation fewer (each queued to the thread pool costs
   * it as much as the write itself; a tenth of a dispatch cycle went to them). Failures go to onError.
   */
  startRun(jobId: string, taskId: string, text: string): Promise<void> {
    const file = this.file(jobId, taskId);
    const data = text.endsWith('\n') ? text : text + '\n';
    return this.enqueue(file, () =>
      writeRaw(file, data, 'wx').catch(async (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        await rotateFile(file);
        await appendRaw(file, data);
      }),
    ).catch((err: unknown) => {
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

async function rotateFile(file: string): Promise<void> {
  if (!(await exists(file))) return;
  let n = 1;
  while (await exists(`${file}.${n}`)) n++;
  for (let i = n; i > 1; i--) await rename(`${file}.${i - 1}`, `${file}.${i}`);
  await rename(file, `${file}.1`);
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Appends data to file on libuv's thread pool with plain open/write/close callbacks (about half
 * the main thread's cost of fs/promises' appendFile), making the job's directory on first use.
 */
function appendRaw(file: string, data: string): Promise<void> {
  return writeRaw(file, data, 'a');
}

/** appendRaw with the open flags given ('wx': only into a file it creates). */
function writeRaw(file: string, data: string, flags: 'a' | 'wx'): Promise<void> {
  return new Promise((resolve, reject) => {
    const write = (fd: number) =>
      fsWrite(fd, data, null, 'utf8', (err) => {
        fsClose(fd, (closeErr) => (err || closeErr ? reject(err ?? closeErr) : resolve()));
      });
    fsOpen(file, flags, PRIVATE_FILE, (err, fd) => {
      if (!err) return write(fd);
      if (err.code !== 'ENOENT') return reject(err);
      fsMkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR }, (mkErr) => {
        if (mkErr) return reject(mkErr);
        fsOpen(file, flags, PRIVATE_FILE, (err2, fd2) => (err2 ? reject(err2) : write(fd2)));
      });
    });
  });
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
