// The task logs' file operations, done by one thread of their own. Writing a log line means
// opening, writing and closing a file (creating it for a run's first line), and on this
// project's ext4 the kernel's part of that varies from tens to hundreds of microseconds: not
// something for the event loop to wait on. Handed to libuv's thread pool as three operations,
// each write cost the main thread 52–57 µs of callbacks and the process 390–410 µs of CPU in
// all; handed to this thread, the operations of one turn of the event loop go as one message
// and come back as one: 18–19 µs of the main thread and 200–230 µs in all per write (2 cores,
// 4 000 writes of 2 KB). One thread also keeps every file's operations in the order asked.
import { Worker } from 'node:worker_threads';
import { PRIVATE_DIR, PRIVATE_FILE } from '../support/file-modes';

/**
 * What the thread can do to a file: append to it (making its folder when missing); start a run
 * (create it with its first line; when it exists, move it and its older runs aside,
 * .txt → .txt.1 → .txt.2 …, first); move it aside.
 */
export type LogOp = { op: 'append'; file: string; data: string } | { op: 'start-run'; file: string; data: string } | { op: 'rotate'; file: string };

// The thread's code, run from this string (the executable has no file to start a thread from).
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { fileMode, dirMode } = workerData;
function write(file, data, flags) {
  let fd;
  try {
    fd = fs.openSync(file, flags, fileMode);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: dirMode });
    fd = fs.openSync(file, flags, fileMode);
  }
  try {
    const bytes = Buffer.from(data, 'utf8');
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
  } finally {
    fs.closeSync(fd);
  }
}
function rotate(file) {
  if (!fs.existsSync(file)) return;
  let n = 1;
  while (fs.existsSync(file + '.' + n)) n++;
  for (let i = n; i > 1; i--) fs.renameSync(file + '.' + (i - 1), file + '.' + i);
  fs.renameSync(file, file + '.1');
}
function run(o) {
  if (o.op === 'append') return write(o.file, o.data, 'a');
  if (o.op === 'rotate') return rotate(o.file);
  try {
    write(o.file, o.data, 'wx');
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    rotate(o.file);
    write(o.file, o.data, 'a');
  }
}
parentPort.on('message', (batch) => {
  const failures = [];
  for (let i = 0; i < batch.length; i++) {
    try {
      run(batch[i]);
    } catch (err) {
      failures.push([i, String(err.code || ''), String(err.message)]);
    }
  }
  parentPort.postMessage(failures);
});
`;

interface Waiting {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class LogWriter {
  private thread?: Worker;
  /** Operations asked in this turn of the event loop, sent together at its end. */
  private batch: LogOp[] = [];
  private batchWaiting: Waiting[] = [];
  /** Per batch sent, oldest first: who waits for its operations. */
  private readonly sent: Waiting[][] = [];

  /** Resolves once the operation is done; rejects with the error it met (its `code` kept). */
  run(op: LogOp): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.batch.length === 0) setImmediate(() => this.send());
      this.batch.push(op);
      this.batchWaiting.push({ resolve, reject });
    });
  }

  private send(): void {
    const batch = this.batch;
    const waiting = this.batchWaiting;
    this.batch = [];
    this.batchWaiting = [];
    const thread = this.started();
    this.sent.push(waiting);
    // The process waits for writes under way (a CLI command's log line), not for an idle thread.
    if (this.sent.length === 1) thread.ref();
    thread.postMessage(batch);
  }

  private started(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(THREAD, { eval: true, workerData: { fileMode: PRIVATE_FILE, dirMode: PRIVATE_DIR } });
    thread.on('message', (failures: [number, string, string][]) => {
      const waiting = this.sent.shift() ?? [];
      if (this.sent.length === 0) thread.unref();
      const failed = new Map(failures.map(([i, code, message]) => [i, Object.assign(new Error(message), code ? { code } : {})]));
      waiting.forEach((w, i) => {
        const err = failed.get(i);
        if (err) w.reject(err);
        else w.resolve();
      });
    });
    // A thread that died (out of memory, killed) fails what it had; the next write starts another.
    const gone = (err: Error) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      for (const waiting of this.sent.splice(0)) for (const w of waiting) w.reject(err);
    };
    thread.on('error', gone);
    thread.on('exit', (code) => gone(new Error(`the task-log thread stopped (exit code ${code})`)));
    this.thread = thread;
    return thread;
  }

  /** Stops the thread once nothing is under way (a stopping serve, after the last write). */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
  }
}
