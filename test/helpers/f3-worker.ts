// A client that sends what the Flamenco 3 Worker (Go, 3.9) sends to /api/v3/worker: its headers
// (User-Agent, Basic auth, JSON bodies; no Content-Type on body-less POSTs) and its body shapes.
import { expect } from 'vitest';
import { basicAuth, type HttpResult } from './env';
import { rawRequest } from './protocol';

export const F3_USER_AGENT = 'Flamenco/3.9-beta1 (cf286e71)';
export const F3_TASK_TYPES = ['blender', 'ffmpeg', 'file-management', 'misc'];

export interface F3Worker {
  id: string;
  secret: string;
  name: string;
  call(method: string, pathname: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
}

let counter = 0;

/** Sends a request the way the worker's generated client does. */
export function f3Request(url: string, method: string, pathname: string, auth: string, body?: unknown, extra: Record<string, string> = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { 'User-Agent': F3_USER_AGENT, Authorization: auth, 'Accept-Encoding': 'gzip', ...extra };
  let raw: string | Buffer | undefined;
  if (Buffer.isBuffer(body)) raw = body;
  else if (body !== undefined) {
    raw = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  } else if (method === 'POST') headers['Content-Length'] = '0';
  return rawRequest(url, method, `/api/v3/worker${pathname}`, { headers, body: raw });
}

/** Registers (Basic Og==, as Go's SetBasicAuth with empty credentials) and, unless told not to, signs on. */
export async function registerF3(
  url: string,
  opts: { name?: string; types?: string[]; signOn?: boolean; canRestart?: boolean } = {},
): Promise<F3Worker & { signOnAnswer?: HttpResult }> {
  const secret = `${(++counter).toString(16).padStart(8, '0')}${'ab'.repeat(28)}`;
  const name = opts.name ?? `f3-${counter}`;
  const types = opts.types ?? F3_TASK_TYPES;
  const r = await f3Request(url, 'POST', '/register-worker', 'Basic Og==', { name, secret, platform: 'linux', supported_task_types: types });
  expect(r.status, r.text).toBe(200);
  const id = r.json.uuid as string;
  const auth = basicAuth(id, secret);
  const w: F3Worker & { signOnAnswer?: HttpResult } = {
    id,
    secret,
    name,
    call: (method, pathname, body, headers) => f3Request(url, method, pathname, auth, body, headers),
  };
  if (opts.signOn !== false) {
    w.signOnAnswer = await w.call('POST', '/sign-on', { name, supported_task_types: types, software_version: '3.9-beta1 (cf286e71)', can_restart: opts.canRestart ?? false });
    expect(w.signOnAnswer.status, w.signOnAnswer.text).toBe(200);
    expect((await w.call('POST', '/state-changed', { status: w.signOnAnswer.json.status_requested })).status).toBe(204);
  }
  return w;
}

/** POST task, expecting an AssignedTask. */
export async function f3Claim(w: F3Worker): Promise<any> {
  const r = await w.call('POST', '/task');
  expect(r.status, r.text).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/json/);
  return r.json;
}

/** An answer without a body and without a JSON Content-Type (the Go client reads those as errors). */
export function expectNoContent(r: HttpResult): void {
  expect(r.status, r.text).toBe(204);
  expect(r.headers.get('content-type')).toBeNull();
  expect(r.text).toBe('');
}
