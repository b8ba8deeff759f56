// `task-log`: a task's log, its earlier runs, and --follow until the task ends.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Command } from 'commander';
import type { Manager } from '../core/manager';
import { tailOf } from '../core/protocol/task-logs';
import { type LogRun, logRuns } from '../core/protocol/task-log-runs';
import { ValidationError } from '../core/support/errors';
import { isOneOf } from '../core/support/statuses';
import type { TaskView } from '../core/views';
import { common, type CommonOptions, openManager } from './context';
import { printJson } from './format';
import { io } from './io';
import { liveLoop, stopSignal } from './live';

/** Task statuses after which nothing more is appended to its log. */
const ENDED = ['completed', 'failed', 'canceled'] as const;
/** How often --follow looks for new lines. */
const FOLLOW_MS = 500;

interface TaskLogOptions extends CommonOptions {
  tail?: string;
  follow?: boolean;
  run?: string;
  allRuns?: boolean;
}

export function taskLogCommand(program: Command): void {
  common(
    program
      .command('task-log <task-id>')
      .description('print a task\'s log: its latest run, or earlier ones (each time a task is handed out anew is a run)')
      .option('--tail <n>', 'only the last n lines')
      .option('--follow', 'keep printing what is appended, until the task ends (or Ctrl-C)')
      .option('--run <n>', 'the n-th run (1 = the first)')
      .option('--all-runs', 'every run, oldest first, each under a line naming its worker'),
  ).action(async (id: string, opts: TaskLogOptions) => {
    if (opts.tail !== undefined && !/^\d+$/.test(opts.tail)) throw new ValidationError(`--tail: "${opts.tail}" is not a whole number`);
    if (opts.run !== undefined && !/^[1-9]\d*$/.test(opts.run)) throw new ValidationError(`--run: "${opts.run}" is not a run number (1, 2, …)`);
    if (opts.run !== undefined && opts.allRuns) throw new ValidationError('give --run n or --all-runs, not both');
    if (opts.follow && (opts.run !== undefined || opts.allRuns)) throw new ValidationError('--follow follows the latest run; it takes no --run or --all-runs');
    if (opts.follow && opts.json) throw new ValidationError('--follow prints the log as it grows; it takes no --json');
    const o = openManager(opts);
    try {
      const t = o.manager.views.task(o.manager.names.task(id));
      if (opts.follow) return await follow(o.manager, t, opts.tail);
      printRuns(o.manager, t, opts);
    } finally {
      o.close();
    }
  });
}

function readRun(r: LogRun, tail: string | undefined): string {
  const fd = openSync(r.file, 'r');
  try {
    return tailOf(fd, fstatSync(fd).size, tail === undefined ? Number.MAX_SAFE_INTEGER : Number(tail));
  } finally {
    closeSync(fd);
  }
}

function printRuns(m: Manager, t: TaskView, opts: TaskLogOptions): void {
  const runs = logRuns(m.logs, t.job, t.id);
  let chosen: LogRun[];
  if (opts.allRuns) chosen = runs;
  else if (opts.run !== undefined) {
    const r = runs[Number(opts.run) - 1];
    if (!r) throw new ValidationError(`task ${t.id} has ${runs.length === 0 ? 'no logged runs' : `${runs.length} logged run${runs.length === 1 ? '' : 's'}`}; there is no run ${opts.run}`);
    chosen = [r];
  } else chosen = runs.slice(-1);
  if (opts.json) {
    printJson({ task: t.id, job: t.job, status: t.status, runs: chosen.map((r) => ({ run: r.run, worker: r.worker, log: readRun(r, opts.tail) })) });
    return;
  }
  for (const r of chosen) {
    if (opts.allRuns) io.out(`--- run ${r.run} of ${runs.length}, worker ${r.worker ?? 'unknown'} ---\n`);
    else if (opts.run !== undefined) io.err(`run ${r.run} of ${runs.length}, worker ${r.worker ?? 'unknown'}\n`);
    io.out(readRun(r, opts.tail));
  }
}

/**
 * Prints the latest run and what is appended to it, until the task has ended (then says how, on
 * standard error, and ends with 0) or until interrupted. A new run (the task handed out again)
 * starts a new file, which is followed from its start.
 */
async function follow(m: Manager, t: TaskView, tail: string | undefined): Promise<void> {
  let offset = 0;
  const h = m.logs.open(t.job, t.id);
  if (h) {
    try {
      // The printed part and the follow offset come from one look at the file: a line appended
      // in between is neither lost nor printed twice.
      io.out(tail === undefined ? readFrom(h, 0) : tailOf(h.fd, h.size, Number(tail)));
      offset = h.size;
    } finally {
      closeSync(h.fd);
    }
  }
  // A failed task's last activity says why; a completed one's is only the last thing it did.
  const ended = (task: TaskView) => io.err(`task ${t.id} ${task.status}${task.status !== 'completed' && task.activity ? `: ${task.activity}` : ''}\n`);
  if (isOneOf(ENDED, t.status)) return ended(t);
  const signal = stopSignal();
  try {
    for (;;) {
      if (await liveLoop.wait(FOLLOW_MS, signal.stopped)) return;
      offset = copyNew(m, t, offset);
      const task = m.views.task(t.id);
      if (isOneOf(ENDED, task.status)) {
        // The status may be committed a moment before the task's last lines reach the file: one
        // more look after a wait picks them up.
        await liveLoop.wait(FOLLOW_MS, signal.stopped);
        copyNew(m, t, offset);
        return ended(task);
      }
    }
  } finally {
    signal.dispose();
  }
}

function copyNew(m: Manager, t: TaskView, offset: number): number {
  const h = m.logs.open(t.job, t.id);
  if (!h) return offset;
  try {
    // A smaller file means the log was rotated: the task started again.
    const from = h.size < offset ? 0 : offset;
    io.out(readFrom(h, from));
    return h.size;
  } finally {
    closeSync(h.fd);
  }
}

/** The file from `offset` up to the size it had when opened. */
function readFrom(h: { fd: number; size: number }, offset: number): Buffer {
  const out = Buffer.alloc(Math.max(0, h.size - offset));
  let pos = 0;
  while (pos < out.length) {
    const n = readSync(h.fd, out, pos, out.length - pos, offset + pos);
    if (n <= 0) break;
    pos += n;
  }
  return out.subarray(0, pos);
}
