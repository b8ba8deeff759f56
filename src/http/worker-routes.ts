// The Flamenco worker protocol (shared/protocol.md): parse → call core → reply.
import type { IncomingMessage } from 'node:http';
import { ForbiddenError, NotAcceptableError, NotFoundError, ValidationError } from '../core/support/errors';
import { jsonObject, parseJson } from './body';
import { given, optionalString, string, stringList } from '../core/support/validate';
import { isId } from '../core/support/ids';
import { verifyJwt } from '../core/protocol/jwt';
import type { Manager } from '../core/manager';
import { workerDocument } from '../core/protocol/workers';
import { parseTaskUpdate } from '../core/protocol/task-reports';
import { bearerToken } from './admin-auth';
import { refuseBrowsers } from './access';
import { replyFor } from './errors';
import { unauthorized, withRefusals } from './worker-refusals';
import { callerOf, workerAuth } from './worker-auth';
import { json, noContent, type Reply } from './reply';
import type { RequestCtx, Route } from './server';

/**
 * A task update may carry Worker 2.5's maximum of 2 000 log lines, or a Flamenco 3 Worker's log
 * chunk of about 10 KiB; lines can be long. Both worker protocols.
 */
export const TASK_UPDATE_BODY_LIMIT = 16 * 1024 * 1024;

/** Bodies of registration and sign-on, both worker protocols: far above what the field limits allow. */
export const SELF_DESCRIPTION_BODY_LIMIT = 64 * 1024;

/**
 * What parse returns, or the ValidationError it threw: core answers an unknown task (404) and a
 * task of another worker (409) before a malformed update (400).
 */
export function parsedOrRefused<T>(parse: () => T): T | ValidationError {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
}

function requireId(id: string | undefined, what: string): string {
  if (!isId(id)) throw new NotFoundError(`${what} ${id} is unknown.`);
  return id;
}

export function workerRoutes(m: Manager): Route[] {
  const { guard: authGuard, workerOf, handler: worker } = workerAuth(m, unauthorized);

  /** With a registration secret, the Bearer token is checked from the headers, before the body. */
  function registrationGuard(req: IncomingMessage): void {
    const secret = m.config.registration_secret;
    if (!secret) return;
    const token = bearerToken(req);
    if (!token) throw new ForbiddenError('Missing Bearer token for registration');
    if (!verifyJwt(token, secret, m.clock.now())) throw new ForbiddenError('Invalid Bearer token for registration');
  }

  async function register(ctx: RequestCtx): Promise<Reply> {
    const b = jsonObject(ctx.body);
    const registration = {
      secret: string(b.secret, 'secret'),
      platform: string(b.platform, 'platform', { nonEmpty: true }),
      nickname: string(b.nickname, 'nickname', { nonEmpty: true }),
      supported_task_types: stringList(b.supported_task_types ?? [], 'supported_task_types'),
    };
    // Open registration is rate-limited per address; with a secret, the token was the check.
    const w = await m.workers.register(registration, callerOf(ctx.req), { open: !m.config.registration_secret });
    return json(workerDocument(w));
  }

  const routes: Route[] = [
    { methods: ['POST'], path: '/register-worker', bodyLimit: SELF_DESCRIPTION_BODY_LIMIT, handler: register },
    {
      methods: ['POST'],
      path: '/sign-on',
      bodyLimit: SELF_DESCRIPTION_BODY_LIMIT,
      handler: (ctx) => {
        const w = workerOf(ctx.req);
        const b = jsonObject(ctx.body, true);
        const body = {
          supported_task_types: given(b.supported_task_types) ? stringList(b.supported_task_types, 'supported_task_types') : undefined,
          nickname: optionalString(b.nickname, 'nickname'),
        };
        m.batch.run(() => m.workers.signOn(w, body, callerOf(ctx.req)));
        return noContent;
      },
    },
    {
      methods: ['POST'],
      path: '/sign-off',
      handler: worker((w, ctx) => {
        m.workers.signOff(w, callerOf(ctx.req));
        return noContent;
      }),
    },
    {
      methods: ['POST', 'GET'],
      path: '/task',
      handler: worker(
        (w) => {
          const r = m.scheduler.claim(w);
          switch (r.kind) {
            case 'status-change':
              return json({ status_requested: r.status }, 423);
            case 'no-task-types':
              return replyFor(new NotAcceptableError('You do not support any task types.'));
            case 'none':
              return noContent;
            case 'task':
              return json(m.documents.forWorker(r.task, w));
          }
        },
        { wake: true },
      ),
    },
    {
      methods: ['POST'],
      path: '/tasks/:task/update',
      bodyLimit: TASK_UPDATE_BODY_LIMIT,
      handler: worker((w, ctx) => {
        const taskId = requireId(ctx.params.task, 'Task');
        // A bad body's refusal is handed on as a value: the protocol answers 404 and 409 first.
        const update = parsedOrRefused(() => parseTaskUpdate(parseJson(ctx.body)));
        // Answered once the log lines are on disk and the update committed after them.
        const applied = m.reports.update(w, taskId, update);
        return { ...noContent, wait: applied };
      }),
    },
    {
      methods: ['POST'],
      path: '/tasks/:task/return',
      handler: worker((w, ctx) => {
        m.reports.returnTask(w, requireId(ctx.params.task, 'Task'));
        return noContent;
      }),
    },
    {
      methods: ['GET'],
      path: '/may-i-run/:task',
      handler: worker((w, ctx) => json(m.reports.mayIRun(w, requireId(ctx.params.task, 'Task'))), { wake: true }),
    },
    {
      methods: ['GET'],
      path: '/status-change',
      handler: worker((w) => (w.status_requested ? json({ status_requested: w.status_requested }) : noContent)),
    },
    {
      methods: ['POST'],
      path: '/ack-status-change/:status',
      handler: worker((w, ctx) => {
        m.workers.ack(w, ctx.params.status ?? '');
        return noContent;
      }),
    },
    {
      methods: ['POST'],
      path: '/output-produced',
      handler: worker((w, ctx) => {
        const b = jsonObject(ctx.body);
        m.reports.outputProduced(w, stringList(b.paths ?? [], 'paths'));
        return noContent;
      }),
    },
  ];
  // Every route but registration is a worker's: authenticated from the headers before any body is
  // read, so a stranger cannot make the manager read or buffer megabytes.
  // Refused logins (unknown, limited) become the answers a Flamenco Worker acts on.
  // No worker is a web browser: a request a browser made (a page's form or script) is refused before
  // anything else, so that a page on another site, or one that rebinds its name to the manager,
  // cannot register a worker through an artist's browser and be handed tasks.
  return withRefusals(
    routes.map((r) => {
      const guard = r.path === '/register-worker' ? registrationGuard : authGuard;
      const browsersRefused = (req: IncomingMessage) => {
        refuseBrowsers(req);
        return guard(req);
      };
      return { ...r, guard: browsersRefused };
    }),
  );
}
