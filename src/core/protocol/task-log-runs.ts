// A task's earlier runs: each time a task is handed out anew its log is rotated (task-logs.ts),
// so the runs are task-<id>.txt.N (N = 1 the newest earlier run) and task-<id>.txt (the latest).
// Each run's first line is the manager's "assigned … to worker …", which says who ran it.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, ValidationError } from '../support/errors';
import { fileHead } from '../support/file-head';
import { counted } from '../support/plural';

/** Where a task's current log is (task-logs.ts, which reads the runs through this module). */
export interface LogFiles {
  file(jobId: string, taskId: string): string;
}

export interface LogRun {
  /** 1 for the first run, counting up. */
  run: number;
  file: string;
  /** "nickname (id)" of the worker the run was assigned to, when its log says so. */
  worker: string | null;
}

const ASSIGNED = /^\S+: Manager assigned task \S+ to worker (.+)$/;

/** The runs of a task that have a log, oldest first. */
export function logRuns(logs: LogFiles, jobId: string, taskId: string): LogRun[] {
  const current = logs.file(jobId, taskId);
  const base = path.basename(current);
  let names: string[];
  try {
    names = readdirSync(path.dirname(current));
  } catch {
    return [];
  }
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? Number(n.slice(base.length + 1)) : Number.NaN))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => b - a);
  const files = rotated.map((n) => `${current}.${n}`);
  if (names.includes(base)) files.push(current);
  return files.map((file, i) => ({ run: i + 1, file, worker: assignedWorker(file) }));
}

function assignedWorker(file: string): string | null {
  const head = fileHead(file, 512);
  if (!head) return null;
  const first = head.toString('utf8').split('\n')[0] ?? '';
  return ASSIGNED.exec(first)?.[1] ?? null;
}

/** Run n of the runs (1 = the first), or the latest when n is undefined; undefined when there is no log. */
export function pickRun(runs: LogRun[], taskId: string, n: number | undefined): LogRun | undefined {
  if (n === undefined) return runs[runs.length - 1];
  const r = runs[n - 1];
  if (!r) {
    const have = runs.length === 0 ? 'no logged runs' : counted(runs.length, 'logged run');
    throw new ValidationError(`task ${taskId} has ${have}; there is no run ${n}`);
  }
  return r;
}

/** A run number as typed (`--run 2`, `?run=2`). */
/** Most lines a tail may ask for (`?tail=N`, `--tail N`). */
export const MAX_TAIL_LINES = 100_000;

/** A number of last lines to show; `field` names it in the error. */
export function parseTail(text: string, field: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) > MAX_TAIL_LINES) throw new ValidationError(`${field}: must be a whole number from 0 to ${MAX_TAIL_LINES}`);
  return Number(text);
}

/** A task's runs that have a log, oldest first, and the worker that ran each. */
export function runsOfTask(logs: LogFiles, job: string, task: string): { run: number; worker: string | null }[] {
  return logRuns(logs, job, task).map(({ run, worker }) => ({ run, worker }));
}

export function parseRun(text: string, field: string): number {
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new ValidationError(`${field}: "${text}" is not a run number (1, 2, …)`);
  return Number(text);
}

/** Statuses of a task that ran and ended: its log was written before the status was. */
const ENDED_AFTER_RUNNING = new Set(['completed', 'failed', 'soft-failed']);

/**
 * A task that ran has a log: the manager writes its first line when it hands the task out, and a
 * worker's lines (the log tail) are on disk before its update is applied. None at all means the
 * files were lost, typically a database restored without its task logs: that is said, not shown
 * as an empty log. (A task just handed out, active without a line from its worker yet, is not
 * judged: its first line may be a moment behind the assignment.)
 */
export function checkLogPresent(t: { id: string; status: string; log_tail: string }, runs: number): void {
  if (runs > 0 || !(ENDED_AFTER_RUNNING.has(t.status) || t.log_tail !== '')) return;
  throw new NotFoundError(
    `task ${t.id} has run (it is ${t.status}) but its log file is missing from the data directory's task-logs: ` +
      "was the database restored without its task logs? ('flamenco-mgr backup' copies both)",
  );
}
