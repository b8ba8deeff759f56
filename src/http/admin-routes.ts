// Routes for people and their tools; they need the admin token.
import { NotFoundError, RangeNotSatisfiableError } from '../core/support/errors';
import { isId } from '../core/support/ids';
import type { TaskView } from '../core/read-models';
import { openTaskLog } from '../core/protocol/task-log-reads';
import { parseTail } from '../core/protocol/task-log-runs';
import type { Manager } from '../core/manager';
import type { AdminAuth } from './admin-auth';
import { replyFor } from './errors';
import type { Reply } from './reply';
import type { RequestCtx, Route } from './server';
import { counted } from '../core/support/plural';

/** GET /logfile/{job}/{task}: the whole log, a byte Range, or ?tail=N lines. */
function logfile(m: Manager, ctx: RequestCtx): Promise<Reply> {
  const { job, task } = ctx.params;
  const notFound = () => new NotFoundError(`no log for task ${task} of job ${job}`);
  if (!isId(job) || !isId(task)) throw notFound();
  let t: TaskView;
  try {
    t = m.readModels.task(task);
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound();
    throw err;
  }
  if (t.job !== job) throw notFound();
  return serveLog(m, ctx, job, task);
}

/**
 * A task's current log: whole, a byte Range, or the last ?tail=N lines. Log writes still under way
 * for it land first, so the answer holds every line the manager has acknowledged.
 */
export async function serveLog(m: Manager, ctx: RequestCtx, job: string, task: string): Promise<Reply> {
  const h = await openTaskLog(m.taskLogs, job, task);
  if (!h) return { status: 200, body: '' };
  const text = { 'Content-Type': 'text/plain; charset=utf-8', 'Accept-Ranges': 'bytes' };
  const tailParam = ctx.url.searchParams.get('tail');
  if (tailParam !== null) {
    let n: number;
    try {
      n = parseTail(tailParam, 'tail');
    } catch (err) {
      h.close();
      throw err;
    }
    // The size the tail ends at: where a remote `task-log --tail N --follow` goes on from.
    return { status: 200, body: h.tail(n), headers: { ...text, 'X-Log-Size': String(h.size) } };
  }
  const range = ctx.req.headers.range;
  let start = 0;
  let end = h.size - 1;
  let status = 200;
  if (typeof range === 'string') {
    const r = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (r && (r[1] !== '' || r[2] !== '')) {
      if (r[1] === '') {
        start = Math.max(0, h.size - Number(r[2]));
      } else {
        start = Number(r[1]);
        if (r[2] !== '') end = Math.min(end, Number(r[2]));
      }
      if (start >= h.size || start > end) {
        h.close();
        return replyFor(new RangeNotSatisfiableError(`the log has ${counted(h.size, 'byte')}`), { 'Content-Range': `bytes */${h.size}` });
      }
      status = 206;
    }
  }
  if (h.size === 0) {
    h.close();
    return { status: 200, body: '', headers: text };
  }
  const headers: Record<string, string> = { ...text, 'Content-Length': String(end - start + 1) };
  if (status === 206) headers['Content-Range'] = `bytes ${start}-${end}/${h.size}`;
  return { status, headers, stream: h.stream(start, end) };
}

export function adminRoutes(m: Manager, auth: AdminAuth): Route[] {
  const admin = (fn: (ctx: RequestCtx) => Reply | Promise<Reply>) => (ctx: RequestCtx) => {
    auth.require(ctx.req);
    return fn(ctx);
  };
  return [{ methods: ['GET'], path: '/logfile/:job/:task', handler: admin((ctx) => logfile(m, ctx)) }];
}
