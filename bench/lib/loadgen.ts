// Simulated Flamenco Worker 2.x clients: one keep-alive connection per worker (as the worker's
// requests.Session has), HTTP Basic auth, the worker's headers and its 3 s client timeout.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { ERR_NETWORK, ERR_TIMEOUT, type Recorder } from './stats';

/** The worker gives up on a request after 3 s; so do we. */
export const CLIENT_TIMEOUT_MS = 3000;

export interface Target {
  host: string;
  port: number;
}

export interface Response {
  status: number;
  body: Buffer | undefined;
  ms: number;
  start: number;
  /** Sent on a connection that was open already (not one made for it). */
  reused: boolean;
}

const BASE_HEADERS = {
  'User-Agent': 'Flamenco-Worker/2.5.0',
  'Accept-Encoding': 'gzip, deflate',
  Accept: '*/*',
  Connection: 'keep-alive',
};

/** The time base of every sample: milliseconds since this process started. */
export const now = (): number => performance.now();

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** Sends one request; never throws (errors come back as ERR_NETWORK / ERR_TIMEOUT). */
export function request(
  agent: http.Agent,
  target: Target,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  keepBody: boolean,
  rec?: Recorder,
): Promise<Response> {
  return new Promise((resolve) => {
    const start = now();
    let settled = false;
    let req: http.ClientRequest | undefined;
    const done = (status: number, resBody?: Buffer) => {
      if (settled) return;
      settled = true;
      const ms = now() - start;
      rec?.add(start, ms, status);
      resolve({ status, body: resBody, ms, start, reused: req?.reusedSocket ?? false });
    };
    const h: Record<string, string> = { ...BASE_HEADERS, ...headers };
    if (method === 'POST') h['Content-Length'] = String(body ? body.length : 0);
    req = http.request({ agent, host: target.host, port: target.port, method, path, headers: h }, (res) => {
      const status = res.statusCode ?? 0;
      if (!keepBody) {
        res.resume();
        res.on('end', () => done(status));
      } else {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(status, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      }
      res.on('error', () => done(ERR_NETWORK));
      res.on('aborted', () => done(ERR_NETWORK));
    });
    req.setTimeout(CLIENT_TIMEOUT_MS, () => {
      done(ERR_TIMEOUT);
      req.destroy();
    });
    req.on('error', () => done(ERR_NETWORK));
    req.end(body);
  });
}

export interface WorkerIdentity {
  id: string;
  secret: string;
  nickname: string;
  types: string[];
  platform: string;
}

/** One simulated worker with its own keep-alive connection. */
export class SimWorker {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly auth: Record<string, string>;
  /** The task this worker is running, if any. */
  task: string | undefined;

  constructor(
    readonly target: Target,
    readonly ident: WorkerIdentity,
  ) {
    this.auth = { Authorization: 'Basic ' + Buffer.from(`${ident.id}:${ident.secret}`).toString('base64') };
  }

  call(method: string, path: string, json?: unknown, rec?: Recorder, keepBody = false): Promise<Response> {
    if (json === undefined) return request(this.agent, this.target, method, path, this.auth, undefined, keepBody, rec);
    const body = Buffer.isBuffer(json) ? json : Buffer.from(JSON.stringify(json));
    return request(this.agent, this.target, method, path, { ...this.auth, 'Content-Type': 'application/json' }, body, keepBody, rec);
  }

  /** POST /sign-on with the worker's task types and nickname, as the worker does at start-up. */
  signOn(rec?: Recorder): Promise<Response> {
    return this.call('POST', '/sign-on', { supported_task_types: this.ident.types, nickname: this.ident.nickname }, rec);
  }

  /** POST /task; on 200 remembers the task id. */
  async fetchTask(rec?: Recorder): Promise<Response> {
    const r = await this.call('POST', '/task', undefined, rec, true);
    if (r.status === 200 && r.body) this.task = (JSON.parse(r.body.toString('utf8')) as { _id: string })._id;
    return r;
  }

  /**
   * What the worker sends about a task once it has it; returns the last answer. Worker 2.5 says
   * it started, then that it completed, with its log (2 KB).
   */
  async runTask(id: string, recs: { active: Recorder; completed: Recorder }): Promise<Response> {
    await this.call('POST', `/tasks/${id}/update`, UPDATE_ACTIVE, recs.active);
    return this.call('POST', `/tasks/${id}/update`, UPDATE_COMPLETED, recs.completed);
  }

  close(): void {
    this.agent.destroy();
  }
}

let registrations = 0;

/**
 * POST /register-worker over HTTP (the real first call); returns the new worker. Open
 * registration is limited per source address (20 a minute), so against a loopback manager each
 * simulated worker registers from its own loopback address, as each render node has its own.
 */
export async function registerOverHttp(target: Target, nickname: string, types: string[], rec?: Recorder): Promise<SimWorker> {
  const secret = randomSecret();
  const n = registrations++;
  const localAddress = target.host.startsWith('127.') ? `127.${1 + (Math.floor(n / 64_000) % 250)}.${Math.floor(n / 250) % 256}.${1 + (n % 250)}` : undefined;
  const agent = new http.Agent({ keepAlive: false, localAddress });
  const body = Buffer.from(JSON.stringify({ secret, platform: 'linux', supported_task_types: types, nickname }));
  const r = await request(agent, target, 'POST', '/register-worker', { 'Content-Type': 'application/json' }, body, true, rec);
  agent.destroy();
  if (r.status !== 200 || !r.body) throw new Error(`register-worker answered ${r.status}`);
  const id = (JSON.parse(r.body.toString('utf8')) as { _id: string })._id;
  return new SimWorker(target, { id, secret, nickname, types, platform: 'linux' });
}

/** 64 characters, like the worker's generated secret. */
export function randomSecret(): string {
  let s = '';
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  for (let i = 0; i < 64; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

/** Runs fn over items with at most `concurrency` in flight. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(runners);
  return out;
}

// --- task update bodies the worker sends ------------------------------------------------------

const LOG_LINE = (i: number) =>
  `2026-11-27T20:27:${String(i % 60).padStart(2, '0')}.123Z: Fra:${i} Mem:1024.55M (Peak 1201.02M) | Time:00:0${i % 10}.51 | Rendering ${i}/64 samples\n`;

/** About 2 KB of render log, as the worker batches it into an update. */
export const LOG_2K = (() => {
  let s = '';
  for (let i = 0; s.length < 2048; i++) s += LOG_LINE(i);
  return s.slice(0, 2048);
})();

export const UPDATE_ACTIVE = Buffer.from(
  JSON.stringify({ task_status: 'active', activity: 'Starting task', task_progress_percentage: 0, current_command_idx: 0, command_progress_percentage: 0 }),
);

export const UPDATE_COMPLETED = Buffer.from(
  JSON.stringify({
    task_status: 'completed',
    activity: 'Task completed',
    log: LOG_2K,
    task_progress_percentage: 100,
    current_command_idx: 0,
    command_progress_percentage: 100,
    metrics: { timing: { download: 0.01, render: 12.5, upload: 0.02 } },
  }),
);

// --- the Flamenco 3 Worker -------------------------------------------------------------------

const F3_HEADERS = { 'User-Agent': 'Flamenco/3.9 (bench)' };
const F3 = '/api/v3/worker';

/** A Flamenco 3 Worker's lines for the same 2 KB of render log: `pid=N > line`, no time. */
export const LOG_2K_V3 = LOG_2K.replace(/^\S+Z: /gm, 'pid=4711 > ');
export const UPDATE_V3_STARTED = Buffer.from(JSON.stringify({ activity: 'Started', taskStatus: 'active' }));
export const UPDATE_V3_LOG = Buffer.from(JSON.stringify({ log: LOG_2K_V3 }));
export const UPDATE_V3_STEP = Buffer.from(JSON.stringify({ activity: 'Progress', steps_completed: 1 }));
export const UPDATE_V3_COMPLETED = Buffer.from(JSON.stringify({ activity: 'Completed', taskStatus: 'completed' }));

/**
 * A simulated Flamenco 3 Worker: the same connection and timeout, its routes and bodies. For a
 * one-command task it sends what the real one does: started, the log chunk, one step, completed.
 */
export class F3SimWorker extends SimWorker {
  override call(method: string, path: string, json?: unknown, rec?: Recorder, keepBody = false): Promise<Response> {
    const auth = { ...this.auth, ...F3_HEADERS };
    if (json === undefined) return request(this.agent, this.target, method, F3 + path, auth, undefined, keepBody, rec);
    const body = Buffer.isBuffer(json) ? json : Buffer.from(JSON.stringify(json));
    return request(this.agent, this.target, method, F3 + path, { ...auth, 'Content-Type': 'application/json' }, body, keepBody, rec);
  }

  /** Sign-on, then the state it was told to start in (answered 204 by the manager, as 2.5's sign-on is). */
  override async signOn(rec?: Recorder): Promise<Response> {
    const r = await this.call(
      'POST',
      '/sign-on',
      { name: this.ident.nickname, supported_task_types: this.ident.types, software_version: '3.9 (bench)', can_restart: false },
      rec,
      true,
    );
    if (r.status !== 200 || !r.body) return r;
    const state = (JSON.parse(r.body.toString('utf8')) as { status_requested: string }).status_requested;
    return this.call('POST', '/state-changed', { status: state }, rec);
  }

  override async fetchTask(rec?: Recorder): Promise<Response> {
    const r = await this.call('POST', '/task', undefined, rec, true);
    if (r.status === 200 && r.body) this.task = (JSON.parse(r.body.toString('utf8')) as { uuid: string }).uuid;
    return r;
  }

  override async runTask(id: string, recs: { active: Recorder; completed: Recorder }): Promise<Response> {
    await this.call('POST', `/task/${id}`, UPDATE_V3_STARTED, recs.active);
    await this.call('POST', `/task/${id}`, UPDATE_V3_LOG, recs.active);
    await this.call('POST', `/task/${id}`, UPDATE_V3_STEP, recs.active);
    return this.call('POST', `/task/${id}`, UPDATE_V3_COMPLETED, recs.completed);
  }
}

/** Registers a Flamenco 3 Worker over HTTP from its own loopback address (see registerOverHttp). */
export async function registerF3OverHttp(target: Target, nickname: string, types: string[], rec?: Recorder): Promise<SimWorker> {
  const secret = randomSecret();
  const n = registrations++;
  const localAddress = target.host.startsWith('127.') ? `127.${1 + (Math.floor(n / 64_000) % 250)}.${Math.floor(n / 250) % 256}.${1 + (n % 250)}` : undefined;
  const agent = new http.Agent({ keepAlive: false, localAddress });
  const body = Buffer.from(JSON.stringify({ name: nickname, secret, platform: 'linux', supported_task_types: types }));
  const r = await request(agent, target, 'POST', `${F3}/register-worker`, { 'Content-Type': 'application/json', ...F3_HEADERS }, body, true, rec);
  agent.destroy();
  if (r.status !== 200 || !r.body) throw new Error(`v3 register-worker answered ${r.status}`);
  const id = (JSON.parse(r.body.toString('utf8')) as { uuid: string }).uuid;
  return new F3SimWorker(target, { id, secret, nickname, types, platform: 'linux' });
}
