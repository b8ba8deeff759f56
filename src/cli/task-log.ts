// `task-log`: a task's log, its earlier runs, and --follow until the task ends.
import type { Command } from 'commander';
import { checkLogPresent, parseRun, parseTail } from '../core/protocol/task-log-runs';
import { ValidationError } from '../core/support/errors';
import { isOneOf } from '../core/support/statuses';
import type { TaskView } from '../core/read-models';
import type { FarmClient } from './client/client';
import { withClient } from './client/connect';
import { common, type CommonOptions } from './context';
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
      .command('task-log <task>')
      .description("print a task's log: its latest run, or earlier ones (each time a task is handed out anew is a run)")
      .option('--tail <n>', 'only the last n lines')
      .option('--follow', 'keep printing what is appended, until the task ends (or Ctrl-C)')
      .option('--run <n>', 'the n-th run (1 = the first)')
      .option('--all-runs', 'every run, oldest first, each under a line naming its worker')
      .addHelpText(
        'after',
        `
<task> is a task id, a unique id prefix (at least 4 characters), or the job's name or id and the
task's name: flamenco-mgr task-log "shot 12/render-1-10" --follow`,
      ),
  ).action(async (id: string, opts: TaskLogOptions) => {
    const run = opts.run === undefined ? undefined : parseRun(opts.run, '--run');
    if (run !== undefined && opts.allRuns) throw new ValidationError('give --run n or --all-runs, not both');
    if (opts.follow && (run !== undefined || opts.allRuns)) throw new ValidationError('--follow follows the latest run; it takes no --run or --all-runs');
    if (opts.follow && opts.json) throw new ValidationError('--follow prints the log as it grows; it takes no --json');
    const tail = opts.tail === undefined ? undefined : parseTail(opts.tail, '--tail');
    await withClient(opts, async (c) => {
      const t = await c.task(id);
      if (opts.follow) return follow(c, t, tail);
      await printRuns(c, t, run, opts.allRuns ?? false, tail, opts.json ?? false);
    });
  });
}

async function printRuns(c: FarmClient, t: TaskView, run: number | undefined, allRuns: boolean, tail: number | undefined, json: boolean): Promise<void> {
  const runs = await c.logRuns(t);
  checkLogPresent(t, runs.length);
  // The run asked for is checked (and refused when missing) by readRun.
  const chosen = allRuns ? runs : run !== undefined ? [{ run, worker: null }] : runs.slice(-1);
  const texts = await Promise.all(chosen.map((r) => c.readRun(t, r.run, tail)));
  const worker = (n: number) => runs.find((r) => r.run === n)?.worker ?? null;
  if (json) {
    printJson({ task: t.id, job: t.job, status: t.status, runs: chosen.map((r, i) => ({ run: r.run, worker: worker(r.run), log: texts[i] })) });
    return;
  }
  // Said on stderr, so that the output stays the log (empty): nothing ran yet.
  if (runs.length === 0 && run === undefined) io.err(`task ${t.id} has not run yet (it is ${t.status}): no log\n`);
  chosen.forEach((r, i) => {
    if (allRuns) io.out(`--- run ${r.run} of ${runs.length}, worker ${worker(r.run) ?? 'unknown'} ---\n`);
    else if (run !== undefined) io.err(`run ${r.run} of ${runs.length}, worker ${worker(r.run) ?? 'unknown'}\n`);
    io.out(texts[i]!);
  });
}

/**
 * Prints the latest run and what is appended to it, until the task has ended (then says how, on
 * standard error, and ends with 0) or until interrupted. A new run (the task handed out again)
 * starts a new file, which is followed from its start.
 */
async function follow(c: FarmClient, t: TaskView, tail: number | undefined): Promise<void> {
  checkLogPresent(t, (await c.logRuns(t)).length);
  let offset: number;
  if (tail !== undefined) {
    const first = await c.tailWithSize(t, tail);
    io.out(first.text);
    offset = first.size;
  } else {
    const first = await c.readFrom(t, 0);
    io.out(first.data);
    offset = first.size;
  }
  const copyNew = async () => {
    let r = await c.readFrom(t, offset);
    // A smaller file means the log was rotated: the task started again.
    if (r.size < offset) r = await c.readFrom(t, 0);
    if (r.data.length > 0) io.out(r.data);
    offset = r.size;
  };
  // A failed task's last activity says why; a completed one's is only the last thing it did.
  const ended = (task: TaskView) => io.err(`task ${t.id} ${task.status}${task.status !== 'completed' && task.activity ? `: ${task.activity}` : ''}\n`);
  if (isOneOf(ENDED, t.status)) return ended(t);
  const signal = stopSignal();
  try {
    for (;;) {
      if (await liveLoop.wait(FOLLOW_MS, signal.stopped)) return;
      await copyNew();
      const task = await c.task(t.id);
      if (isOneOf(ENDED, task.status)) {
        // The status may be committed a moment before the task's last lines reach the file: one
        // more look after a wait picks them up.
        await liveLoop.wait(FOLLOW_MS, signal.stopped);
        await copyNew();
        return ended(task);
      }
    }
  } finally {
    signal.dispose();
  }
}
