// What the Flamenco 3 Worker (Go) does with each answer decides what /api/v3/worker answers, above
// all when something is wrong. Its generated client takes an answer only when its Content-Type
// says JSON and the status is one it expects; a JSON body it cannot read makes the call count as
// a network error, which it retries (sign-on every 5 s, task updates stay in its local queue).
//
// Try again later (429 too many failed logins, 503 busy, storage failing, serve stopping) on
// sign-on and task updates: the body is a JSON string, which the worker cannot read, so it keeps
// what it sent and tries again (a readable refusal would drop the update).
// A sign-on gets this with status 200: any other status that it can read makes the worker
// register again as a new worker, and a passing condition must never do that.
//
// Unknown credentials (forgotten with forget-worker, a restored database, a stranger): the worker
// must stop its task and end in a sane state. It registers anew only when sign-on answers 401,
// which it asks only when it starts; so it is told to go offline (it flushes, signs off, exits
// 0, and starts again under its supervisor):
// - task: 423 {"status_requested": "offline"};
// - task/{id}/may-i-run: 200, may not keep running, status change requested (it kills the task);
// - task/{id}: 409, which it drops (a 401 would only be logged, and the update lost either way);
// - state (asleep workers): 200 {"status_requested": "offline"};
// - everything else, sign-on included: 401.
import type { LoginRefusal } from '../core/protocol/login-limits';
import type { RequestableStatus } from '../core/support/statuses';
import { RateLimitedError, UnknownWorkerError } from '../core/support/errors';
import { ReplyError, replyFor } from './errors';
import { json, type Reply } from './reply';
import type { Route } from './server';
import { f3ErrorShape } from './v3-routes';
import { LIMITED_ANSWER_DELAY_MS, LoginRefused, unauthorized } from './worker-refusals';

export type V3Route = Route & { imageUpload?: boolean };

/** Our status requests in Flamenco 3's words: it goes offline where Worker 2.5 shuts down. */
export function v3Status(s: RequestableStatus): string {
  return s === 'shutdown' ? 'offline' : s;
}

const GO_OFFLINE = { status_requested: 'offline' };
const FORGOTTEN = 'this manager does not know this worker (forgotten?); go offline and register again';

const UNKNOWN: Record<string, Reply> = {
  '/api/v3/worker/task': json(GO_OFFLINE, 423),
  '/api/v3/worker/task/:task/may-i-run': json({ mayKeepRunning: false, reason: FORGOTTEN, statusChangeRequested: true }),
  '/api/v3/worker/task/:task': replyFor(new UnknownWorkerError(`${FORGOTTEN}; the update is dropped`)),
  '/api/v3/worker/state': json(GO_OFFLINE),
};

/** Statuses that mean "try again later". */
const RETRY_STATUSES = [429, 503];

function message(reply: Reply): string {
  const body = reply.body as { error?: { message?: unknown }; message?: unknown } | undefined;
  const m = body?.error?.message ?? body?.message;
  return typeof m === 'string' ? m : `status ${reply.status}`;
}

/** The answer shape of one route: Flamenco 3's {code, message}, or "try again later" (see above). */
function shapeFor(path: string): (reply: Reply) => Reply {
  const signOn = path.endsWith('/sign-on');
  // Only where a readable refusal loses something: elsewhere the worker waits or logs either way.
  const retries = signOn || path.endsWith('/task/:task');
  return (reply) => {
    if (!retries || !RETRY_STATUSES.includes(reply.status)) return f3ErrorShape(reply);
    const text = `${message(reply)} (status ${reply.status}; try again later)`;
    return {
      ...reply,
      status: signOn ? 200 : reply.status,
      headers: { ...reply.headers, 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify(text)),
    };
  };
}

function refusalReply(path: string, r: LoginRefusal): Reply {
  if (r.refused === 'limited') {
    const reply: Reply = path.endsWith('/may-i-run')
      ? json({ mayKeepRunning: true, reason: 'too many failed logins; not checked', statusChangeRequested: false })
      : replyFor(new RateLimitedError('too many failed logins from this address or for this worker', r.retryAfterMs));
    return { ...reply, wait: new Promise((resolve) => setTimeout(resolve, LIMITED_ANSWER_DELAY_MS)) };
  }
  return UNKNOWN[path] ?? replyFor(unauthorized());
}

/** The routes with these answers for refused logins and errors, wherever the login is checked. */
export function v3Refusals(routes: V3Route[]): Route[] {
  return routes.map((r) => {
    const answer = (err: unknown): never => {
      throw err instanceof LoginRefused ? new ReplyError(refusalReply(r.path, err.refusal)) : err;
    };
    const guard = r.guard;
    return {
      ...r,
      errorShape: shapeFor(r.path),
      guard:
        guard &&
        ((req) => {
          try {
            const checked: unknown = guard(req);
            return checked instanceof Promise ? checked.catch(answer) : undefined;
          } catch (err) {
            return answer(err);
          }
        }),
      handler: async (ctx) => {
        try {
          return await r.handler(ctx);
        } catch (err) {
          return answer(err);
        }
      },
    };
  });
}
