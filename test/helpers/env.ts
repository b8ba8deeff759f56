// Test helpers: temp data dirs with a real SQLite file, a real server on port 0, a worker client.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../src/core/support/clock';
import { defaultConfig, type ManagerConfig } from '../../src/core/support/config';
import type { Logger } from '../../src/core/support/logger';
import { Manager } from '../../src/core/manager';
import { type DB, openDatabase } from '../../src/db/open';
import { createManagerServer } from '../../src/http/app';
import { AdminAuth } from '../../src/http/admin-auth';

const cleanups: (() => void | Promise<void>)[] = [];

/** Undoes what the test set up, newest first; test/setup.ts runs it after every test. */
export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!();
}

export function onCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn);
}

export function tempDir(prefix = 'flamenco-mgr-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestManager {
  manager: Manager;
  db: DB;
  dataDir: string;
  clock: ManualClock;
  config: ManagerConfig;
}

/** A manager on a fresh data dir with a manual clock. The database is closed after the test. */
export function testManager(opts: { config?: Partial<ManagerConfig>; dataDir?: string; clock?: ManualClock; logger?: Logger } = {}): TestManager {
  const dataDir = opts.dataDir ?? tempDir();
  const db = openDatabase(dataDir);
  const clock = opts.clock ?? new ManualClock();
  const config = { ...defaultConfig(), ...opts.config };
  const manager = new Manager({ db, dataDir, clock, config, logger: opts.logger });
  onCleanup(async () => {
    // Log writes still under way would make the data directory again after it was removed.
    await manager.taskLogs.close().catch(() => undefined);
    db.close();
  });
  return { manager, db, dataDir, clock, config };
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** The admin-token check of a test manager, for route tables built outside a server. */
export function adminAuth(m: Manager): AdminAuth {
  return new AdminAuth(ADMIN_TOKEN, m.clock, m.refusals);
}

export interface TestServer extends TestManager {
  url: string;
  server: Server;
}

/** A real HTTP server on 127.0.0.1, port 0, around a test manager. */
export async function testServer(opts: Parameters<typeof testManager>[0] = {}): Promise<TestServer> {
  const tm = testManager(opts);
  const server = createManagerServer(tm.manager, ADMIN_TOKEN);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { ...tm, server, url: `http://127.0.0.1:${port}` };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: any;
}

export async function request(
  url: string,
  method: string,
  pathname: string,
  opts: { auth?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { 'User-Agent': 'Flamenco-Worker/2.5', ...opts.headers };
  if (opts.auth) headers.Authorization = opts.auth;
  let body: string | Buffer | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(url + pathname, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function basicAuth(id: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64');
}

export interface TestWorker {
  id: string;
  secret: string;
  auth: string;
  call(method: string, pathname: string, body?: unknown): Promise<HttpResult>;
}

let workerCounter = 0;

/** Registers a worker over HTTP and returns a client bound to its credentials. */
export async function registerWorker(url: string, opts: { nickname?: string; platform?: string; types?: string[]; signOn?: boolean } = {}): Promise<TestWorker> {
  const secret = `secret-${++workerCounter}-0123456789abcdef`;
  const r = await request(url, 'POST', '/register-worker', {
    body: {
      secret,
      platform: opts.platform ?? 'linux',
      supported_task_types: opts.types ?? ['sleep', 'debug', 'file-management'],
      nickname: opts.nickname ?? `worker-${workerCounter}`,
    },
  });
  if (r.status !== 200) throw new Error(`registration failed: ${r.status} ${r.text}`);
  const id = r.json._id as string;
  const auth = basicAuth(id, secret);
  const w: TestWorker = { id, secret, auth, call: (method, pathname, body) => request(url, method, pathname, { auth, body }) };
  if (opts.signOn !== false) {
    const s = await w.call('POST', '/sign-on', { supported_task_types: opts.types ?? ['sleep', 'debug', 'file-management'], nickname: opts.nickname ?? `worker-${workerCounter}` });
    if (s.status !== 204) throw new Error(`sign-on failed: ${s.status} ${s.text}`);
  }
  return w;
}

/** A custom job with the given tasks; each task runs one echo command. */
export function customJob(tasks: { name: string; type?: string; parents?: string[]; priority?: number }[], extra: Record<string, unknown> = {}) {
  return {
    name: 'test job',
    job_type: 'custom',
    ...extra,
    tasks: tasks.map((t) => ({
      name: t.name,
      task_type: t.type ?? 'sleep',
      priority: t.priority ?? 0,
      parents: t.parents ?? [],
      commands: [{ name: 'echo', settings: { message: `task ${t.name}` } }],
    })),
  };
}
