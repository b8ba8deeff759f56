// Answers of /api/ routes that the CLI's remote mode reads besides the JSON: how many rows a
// listing left out, and a task's earlier log runs.
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import type { Manager } from '../core/manager';
import { logRuns, parseRun, parseTail, pickRun, runsOfTask } from '../core/protocol/task-log-runs';
import { tailOf } from '../core/protocol/task-logs';
import type { TaskView } from '../core/views';
import { json, type Reply } from './reply';

/** The header that says how many rows a listing (`limit`) left out. */
export const OMITTED_HEADER = 'X-Omitted';

/** A listing's rows as JSON, with how many it left out in a header (the JSON stays the view). */
export function listed<K extends string>(r: Record<K, unknown> & { omitted: number }, key: K): Reply {
  return { ...json(r[key]), headers: { [OMITTED_HEADER]: String(r.omitted) } };
}

/** GET /api/tasks/{id}/runs: the runs with a log, oldest first, and who ran each. */
export function runsOf(m: Manager, t: TaskView): { run: number; worker: string | null }[] {
  return runsOfTask(m.logs, t.job, t.id);
}

/** GET /api/tasks/{id}/log?run=N[&tail=M]: one run's log, whole or its last lines. */
export async function serveRun(m: Manager, t: TaskView, runParam: string, tailParam: string | undefined): Promise<Reply> {
  const n = parseRun(runParam, 'run');
  const tail = tailParam === undefined ? undefined : parseTail(tailParam, 'tail');
  await m.logs.flushed(t.job, t.id);
  const r = pickRun(logRuns(m.logs, t.job, t.id), t.id, n)!;
  const text = { 'Content-Type': 'text/plain; charset=utf-8' };
  const fd = openSync(r.file, 'r');
  const size = fstatSync(fd).size;
  if (tail !== undefined) {
    try {
      return { status: 200, body: tailOf(fd, size, tail), headers: text };
    } finally {
      closeSync(fd);
    }
  }
  if (size === 0) {
    closeSync(fd);
    return { status: 200, body: '', headers: text };
  }
  return { status: 200, headers: { ...text, 'Content-Length': String(size) }, stream: createReadStream('', { fd, start: 0, end: size - 1, autoClose: true }) };
}
