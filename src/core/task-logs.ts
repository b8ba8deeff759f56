// Task logs on disk: <data-dir>/task-logs/job-<4 hex>/<job id>/task-<task id>.txt, rotated to
// .txt.1, .txt.2, … each time a task is assigned anew.
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isId } from './ids';

export class TaskLogs {
  constructor(readonly root: string) {}

  dir(jobId: string): string {
    if (!isId(jobId)) throw new Error(`invalid job id ${JSON.stringify(jobId)}`);
    return path.join(this.root, `job-${jobId.slice(0, 4)}`, jobId);
  }

  file(jobId: string, taskId: string): string {
    if (!isId(taskId)) throw new Error(`invalid task id ${JSON.stringify(taskId)}`);
    return path.join(this.dir(jobId), `task-${taskId}.txt`);
  }

  append(jobId: string, taskId: string, text: string): void {
    if (text === '') return;
    const file = this.file(jobId, taskId);
    const data = text.endsWith('\n') ? text : text + '\n';
    try {
      appendFileSync(file, data);
    } catch (err) {
      // The job's directory is made on its first log line, not looked for on every line.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, data);
    }
  }

  /** Writes still under way per log file; each file's writes happen in the order they were asked. */
  private readonly pending = new Map<string, Promise<void>>();

  /**
   * Appends without blocking the event loop: creating a task's log file is the most expensive
   * single step of handing out a task, and here it runs on libuv's thread pool. The promise
   * resolves once the text is written; the HTTP layer answers only then.
   */
  appendAsync(jobId: string, taskId: string, text: string): Promise<void> {
    if (text === '') return Promise.resolve();
    const file = this.file(jobId, taskId);
    const data = text.endsWith('\n') ? text : text + '\n';
    const write = async () => {
      try {
        await appendFile(file, data);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await mkdir(path.dirname(file), { recursive: true });
        await appendFile(file, data);
      }
    };
    const previous = this.pending.get(file);
    const next = previous ? previous.then(write, write) : write();
    this.pending.set(file, next);
    const forget = () => {
      if (this.pending.get(file) === next) this.pending.delete(file);
    };
    next.then(forget, forget);
    return next;
  }

  /** Resolves once every write asked for so far has finished (or failed). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending.values()]);
  }

  /** Moves the current log aside (.txt → .txt.1, .1 → .2, …) so the next run starts a fresh file. */
  rotate(jobId: string, taskId: string): void {
    const file = this.file(jobId, taskId);
    if (!existsSync(file)) return;
    let n = 1;
    while (existsSync(`${file}.${n}`)) n++;
    for (let i = n; i > 1; i--) renameSync(`${file}.${i - 1}`, `${file}.${i}`);
    renameSync(file, `${file}.1`);
  }

  removeJob(jobId: string): void {
    const dir = this.dir(jobId);
    rmSync(dir, { recursive: true, force: true });
    // A write still under way would make the directory again: remove it once more after those.
    const late = [...this.pending].filter(([file]) => file.startsWith(dir + path.sep)).map(([, p]) => p);
    if (late.length > 0) void Promise.allSettled(late).then(() => rmSync(dir, { recursive: true, force: true }));
  }

  /** Opens the current log for reading; undefined when there is none yet. */
  open(jobId: string, taskId: string): { fd: number; size: number } | undefined {
    const file = this.file(jobId, taskId);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return undefined;
    }
    return { fd, size: fstatSync(fd).size };
  }

  /** The last `lines` lines of a log, reading backwards from the end in blocks. */
  tail(jobId: string, taskId: string, lines: number): string {
    const h = this.open(jobId, taskId);
    if (!h) return '';
    try {
      return tailOf(h.fd, h.size, lines);
    } finally {
      closeSync(h.fd);
    }
  }
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
