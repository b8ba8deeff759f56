// What the worker endpoints answer credentials that were refused, chosen from what the real
// Flamenco Worker does with each answer (see README, "Workers the manager does not know").
//
// Unknown credentials (the worker was forgotten with forget-worker, or registered in a database
// that has since been restored, or a stranger guesses): the worker must stop what it runs, drop
// its queued updates and end in a sane state. It re-registers only when /sign-on answers 401,
// which it asks only when it starts; so it is told to shut down, and under a supervisor
// (systemd's Restart=always) it starts again, gets 401 at sign-on and registers anew.
// - /task: 423 {"status_requested": "shutdown"}; the worker retries a 401 there every 10 s, forever.
// - /may-i-run: the worker parses the body whatever the status and crashes its checking loop on
//   any other key, so a 401 carries exactly may_keep_running/reason/status_requested.
// - /tasks/{id}/update: 409, which the worker drops; a 401 stayed at the head of its queue.
// - /tasks/{id}/return: 204, as for any return (nothing changes).
// - /status-change (asleep workers): 200 {"status_requested": "shutdown"}.
// - everything else, /sign-on included: 401 with the Basic challenge.
// These answers change nothing and tell a stranger nothing it did not know.
//
// Limited (too many failed checks, see core/protocol/login-limits.ts): 429 with Retry-After,
// which the worker retries (an update stays queued); /may-i-run says the task may keep running,
// since nothing could be checked, and asks again at its next poll. The answer comes after
// LIMITED_ANSWER_DELAY_MS (well within the worker's 3 s timeout): a flooding connection then
// sends one request a second instead of thousands, and the real workers' requests do not wait
// behind the flood (see bench/scenarios/flood.ts).
import type { LoginRefusal } from '../core/protocol/login-limits';
import { ERROR_RULES, RateLimitedError, UnauthorizedError, UnknownWorkerError } from '../core/support/errors';
import { ReplyError, replyFor, retryAfter } from './errors';
import { json, noContent, type Reply } from './reply';
import type { Route } from './server';

const CHALLENGE = 'Basic realm="Flamenco Manager"';
const REALM = { 'WWW-Authenticate': CHALLENGE };

const SHUT_DOWN = { status_requested: 'shutdown' };

export const LIMITED_ANSWER_DELAY_MS = 1000;

const UNKNOWN: Record<string, Reply> = {
  '/task': { ...json(SHUT_DOWN, 423), headers: REALM },
  '/may-i-run/:task': {
    ...json(
      { may_keep_running: false, reason: 'this manager does not know this worker (forgotten?); shut down and register again', ...SHUT_DOWN },
      ERROR_RULES.unauthorized.status,
    ),
    headers: REALM,
  },
  '/tasks/:task/update': replyFor(new UnknownWorkerError('this manager does not know this worker (forgotten?); the update is dropped'), REALM),
  '/tasks/:task/return': noContent,
  '/status-change': json(SHUT_DOWN),
};

/** Thrown by worker authentication; turned into the route's answer by withRefusals. */
export class LoginRefused extends Error {
  constructor(readonly refusal: LoginRefusal) {
    super(refusal.refused);
  }
}

export function refusalReply(path: string, r: LoginRefusal): Reply {
  if (r.refused === 'limited') {
    const limited = new RateLimitedError('too many failed logins from this address or for this worker; try again later', r.retryAfterMs);
    const reply = path === '/may-i-run/:task' ? { ...json({ may_keep_running: true }, limited.rule.status), headers: retryAfter(r.retryAfterMs) } : replyFor(limited);
    return { ...reply, wait: new Promise((resolve) => setTimeout(resolve, LIMITED_ANSWER_DELAY_MS)) };
  }
  return UNKNOWN[path] ?? replyFor(unauthorized());
}

/** Answers a refused login on one route of a worker protocol. */
export type RefusalReply = (path: string, refusal: LoginRefusal) => Reply;

/**
 * Routes whose refused logins get the protocol's answers (by default Worker 2.x's, above),
 * wherever the login is checked: in the handler, or in a guard before the body is read.
 * `errorShape`, when given, shapes each route's other errors for its protocol.
 */
export function withRefusals<R extends Route>(routes: R[], refuse: RefusalReply = refusalReply, errorShape?: (path: string) => (reply: Reply) => Reply): R[] {
  return routes.map((r) => {
    const answer = (err: unknown): never => {
      throw err instanceof LoginRefused ? new ReplyError(refuse(r.path, err.refusal)) : err;
    };
    const guard = r.guard;
    return {
      ...r,
      ...(errorShape && { errorShape: errorShape(r.path) }),
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
      handler: (ctx) => {
        try {
          const handled = r.handler(ctx);
          return handled instanceof Promise ? handled.catch(answer) : handled;
        } catch (err) {
          return answer(err);
        }
      },
    };
  });
}

export function unauthorized(): UnauthorizedError {
  return new UnauthorizedError('worker credentials missing or wrong', CHALLENGE);
}
