// The Flamenco worker protocol (shared/protocol.md): parse → call core → reply.
import type { IncomingMessage } from 'node:http';
import { ValidationError } from '../core/support/errors';
import { isId } from '../core/support/ids';
import { verifyJwt } from '../core/protocol/jwt';
import type { Manager } from '../core/manager';
import type { WorkerRecord } from '../db/workers-repo';
import { type Caller, workerDocument } from '../core/protocol/workers';
import { HttpError } from './errors';
import { json, noContent, type Reply } from './reply';
import type { RequestCtx, Route } from './server';

/** A task update may carry the worker's maximum of 2 000 log lines; lines can be long. */
export const TASK_UPDATE_BODY_LIMIT = 16 * 1024 * 1024;

const REALM = { 'WWW-Authenticate': 'Basic realm="Flamenco Manager"' };

export function callerOf(req: IncomingMessage): Caller {
  let address = req.socket.remoteAddress ?? '';
  if (address.startsWith('::ffff:')) address = address.slice(7);
  const ua = req.headers['user-agent'];
  return { address, software: typeof ua === 'string' ? ua : '' };
}

/** Parses a JSON body; malformed JSON is a 400 that says where. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new ValidationError('the request needs a JSON body');
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new ValidationError(`malformed JSON: ${(err as Error).message}`);
  }
}

function asObject(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ValidationError('the body must be a JSON object');
  return v as Record<string, unknown>;
}

function stringArray(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ValidationError(`${field}: must be an array of strings`);
  return v as string[];
}

function requireId(id: string | undefined, what: string): string {
  if (!isId(id)) throw new HttpError(404, 'not_found', `${what} ${id} is unknown.`);
  return id;
}

export function workerRoutes(m: Manager): Route[] {
  const unauthorized = () => new HttpError(401, 'unauthorized', 'worker credentials missing or wrong', REALM);

  async function authWorker(req: IncomingMessage): Promise<WorkerRecord> {
    const h = req.headers.authorization;
    if (typeof h !== 'string' || !/^Basic\s+/i.test(h)) throw unauthorized();
    const decoded = Buffer.from(h.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw unauthorized();
    const id = decoded.slice(0, colon);
    if (!isId(id)) throw unauthorized();
    const w = await m.workers.authenticate(id, decoded.slice(colon + 1));
    if (!w) throw unauthorized();
    return w;
  }

  /** Authenticates, marks the worker seen, then runs the handler. */
  function worker(wake: boolean, fn: (w: WorkerRecord, ctx: RequestCtx) => Reply): (ctx: RequestCtx) => Promise<Reply> {
    return async (ctx) => {
      const w = await authWorker(ctx.req);
      // Both join this turn's group commit; the server answers once it is on disk.
      m.batch.run(() => m.workers.seen(w, callerOf(ctx.req), wake));
      return m.batch.run(() => fn(w, ctx));
    };
  }

  async function register(ctx: RequestCtx): Promise<Reply> {
    const secret = m.config.registration_secret;
    if (secret) {
      const h = ctx.req.headers.authorization;
      const token = typeof h === 'string' && /^Bearer\s+/i.test(h) ? h.replace(/^Bearer\s+/i, '').trim() : '';
      if (!token) throw new HttpError(403, 'forbidden', 'Missing Bearer token for registration');
      if (!verifyJwt(token, secret, m.clock.now())) throw new HttpError(403, 'forbidden', 'Invalid Bearer token for registration');
    }
    const b = asObject(parseJson(ctx.body));
    if (typeof b.secret !== 'string') throw new ValidationError('secret: must be a string');
    if (typeof b.platform !== 'string' || b.platform === '') throw new ValidationError('platform: must be a non-empty string');
    if (typeof b.nickname !== 'string' || b.nickname === '') throw new ValidationError('nickname: must be a non-empty string');
    const types = stringArray(b.supported_task_types ?? [], 'supported_task_types');
    const w = await m.workers.register({ secret: b.secret, platform: b.platform, nickname: b.nickname, supported_task_types: types }, callerOf(ctx.req));
    return json(workerDocument(w));
  }

  return [
    { methods: ['POST'], path: '/register-worker', handler: register },
    {
      methods: ['POST'],
      path: '/sign-on',
      handler: async (ctx) => {
        const w = await authWorker(ctx.req);
        const b = ctx.body.length === 0 ? {} : asObject(parseJson(ctx.body));
        const body: { supported_task_types?: string[]; nickname?: string } = {};
        if (b.supported_task_types !== undefined && b.supported_task_types !== null) body.supported_task_types = stringArray(b.supported_task_types, 'supported_task_types');
        if (b.nickname !== undefined && b.nickname !== null) {
          if (typeof b.nickname !== 'string') throw new ValidationError('nickname: must be a string');
          body.nickname = b.nickname;
        }
        m.batch.run(() => m.workers.signOn(w, body, callerOf(ctx.req)));
        return noContent;
      },
    },
    {
      methods: ['POST'],
      path: '/sign-off',
      handler: worker(false, (w, ctx) => {
        m.workers.signOff(w, callerOf(ctx.req));
        return noContent;
      }),
    },
    {
      methods: ['POST', 'GET'],
      path: '/task',
      handler: worker(true, (w) => {
        const r = m.scheduler.claim(w);
        switch (r.kind) {
          case 'status-change':
            return json({ status_requested: r.status }, 423);
          case 'no-task-types':
            return { status: 406, body: { error: { code: 'not_acceptable', message: 'You do not support any task types.' } } };
          case 'none':
            return noContent;
          case 'task':
            return json(m.documents.forWorker(r.task, w));
        }
      }),
    },
    {
      methods: ['POST'],
      path: '/tasks/:task/update',
      bodyLimit: TASK_UPDATE_BODY_LIMIT,
      handler: worker(false, (w, ctx) => {
        const logWritten = m.reports.update(w, requireId(ctx.params.task, 'Task'), () => parseJson(ctx.body));
        return { ...noContent, wait: logWritten };
      }),
    },
    {
      methods: ['POST'],
      path: '/tasks/:task/return',
      handler: worker(false, (w, ctx) => {
        m.reports.returnTask(w, requireId(ctx.params.task, 'Task'));
        return noContent;
      }),
    },
    {
      methods: ['GET'],
      path: '/may-i-run/:task',
      handler: worker(true, (w, ctx) => json(m.reports.mayIRun(w, requireId(ctx.params.task, 'Task')))),
    },
    {
      methods: ['GET'],
      path: '/status-change',
      handler: worker(false, (w) => (w.status_requested ? json({ status_requested: w.status_requested }) : noContent)),
    },
    {
      methods: ['POST'],
      path: '/ack-status-change/:status',
      handler: worker(false, (w, ctx) => {
        m.workers.ack(w, ctx.params.status ?? '');
        return noContent;
      }),
    },
    {
      methods: ['POST'],
      path: '/output-produced',
      handler: worker(false, (w, ctx) => {
        const b = asObject(parseJson(ctx.body));
        if (b.paths !== undefined && b.paths !== null && !Array.isArray(b.paths)) throw new ValidationError('paths: must be an array of strings');
        const paths = (b.paths ?? []) as unknown[];
        if (paths.length === 0) throw new HttpError(422, 'unprocessable', 'List of paths may not be empty.');
        m.reports.outputProduced(w, stringArray(paths, 'paths'));
        return noContent;
      }),
    },
  ];
}
