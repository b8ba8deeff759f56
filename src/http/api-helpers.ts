// Answers of /api/ routes that the CLI's remote mode reads besides the JSON: how many rows a
// listing left out, and a task's earlier log runs.
import type { Manager } from '../core/manager';
import { openTaskLog, taskLogRuns } from '../core/protocol/task-log-reads';
import { parseRun, parseTail } from '../core/protocol/task-log-runs';
import type { TaskView } from '../core/read-models';
import { json, type Reply } from './reply';

/** The header that says how many rows a listing (`limit`) left out. */
export const OMITTED_HEADER = 'X-Omitted';

/** A listing's rows as JSON, with how many it left out in a header (the JSON stays the view). */
export function listed<K extends string>(r: Record<K, unknown> & { omitted: number }, key: K): Reply {
  return { ...json(r[key]), headers: { [OMITTED_HEADER]: String(r.omitted) } };
}

/** GET /api/tasks/{id}/runs: the runs with a log, oldest first, and who ran each. */
export function runsOf(m: Manager, t: TaskView): Promise<{ run: number; worker: string | null }[]> {
  return taskLogRuns(m.taskLogs, t.job, t.id);
}

/** GET /api/tasks/{id}/log?run=N[&tail=M]: one run's log, whole or its last lines. */
export async function serveRun(m: Manager, t: TaskView, runParam: string, tailParam: string | undefined): Promise<Reply> {
  const n = parseRun(runParam, 'run');
  const tail = tailParam === undefined ? undefined : parseTail(tailParam, 'tail');
  const text = { 'Content-Type': 'text/plain; charset=utf-8' };
  const log = await openTaskLog(m.taskLogs, t.job, t.id, n);
  if (!log) return { status: 200, body: '', headers: text };
  if (tail !== undefined) return { status: 200, body: log.tail(tail), headers: text };
  if (log.size === 0) {
    log.close();
    return { status: 200, body: '', headers: text };
  }
  return { status: 200, headers: { ...text, 'Content-Length': String(log.size) }, stream: log.stream() };
}
