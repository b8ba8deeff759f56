// Helpers for worker-protocol tests: JWTs, jobs, log paths, raw HTTP and common assertions.
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect } from 'vitest';
import { customJob, type HttpResult, type TestServer, type TestWorker } from './env';

/** A well-formed id that no record has. */
export const UNKNOWN_ID = '0123456789abcdef01234567';

/** Ids that are not 24 lowercase hex characters (URL-safe as written). */
export const NOT_IDS = ['xyz', '0123456789abcdef0123456', '0123456789abcdef012345678', '0123456789ABCDEF01234567', '0123456789abcdef0123456g', '..%2F..%2Fetc%2Fpasswd'];

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** An HMAC-signed JWT, the way PyJWT builds one. */
export function makeJwt(secret: string, payload: Record<string, unknown>, alg: 'HS256' | 'HS384' | 'HS512' = 'HS256'): string {
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  const signingInput = `${b64url({ alg, typ: 'JWT' })}.${b64url(payload)}`;
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

/** Submits a custom job; returns its id and its task ids by name. */
export function submitJob(s: TestServer, tasks: Parameters<typeof customJob>[0], extra: Record<string, unknown> = {}): { jobId: string; ids: Record<string, string> } {
  const { id: jobId } = s.manager.jobs.submit(customJob(tasks, extra));
  const ids: Record<string, string> = {};
  for (const t of s.manager.repos.tasks.listForJob(jobId)) ids[t.name] = t.id;
  return { jobId, ids };
}

// The same record look-ups as the domain tests use (a TestServer is a TestManager).
export { taskRec, workerRec } from './domain';

/** POST /task and expect a task; returns the Task document. */
export async function claim(w: TestWorker): Promise<any> {
  const r = await w.call('POST', '/task');
  expect(r.status, r.text).toBe(200);
  return r.json;
}

export function logPath(s: TestServer, jobId: string, taskId: string): string {
  return path.join(s.dataDir, 'task-logs', `job-${jobId.slice(0, 4)}`, jobId, `task-${taskId}.txt`);
}

/** A task's log file once the manager's log writes under way have landed. */
export async function readLog(s: TestServer, jobId: string, taskId: string, suffix = ''): Promise<string> {
  await s.manager.taskLogs.idle();
  const file = logPath(s, jobId, taskId) + suffix;
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Asserts a `{"error": {"code", "message"}}` body with nothing else in it. */
export function expectError(r: HttpResult, status: number, message?: string | RegExp): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(r.json)).toEqual(['error']);
  expect(Object.keys(r.json.error).sort()).toEqual(['code', 'message']);
  expect(typeof r.json.error.code).toBe('string');
  expect(typeof r.json.error.message).toBe('string');
  if (typeof message === 'string') expect(r.json.error.message).toBe(message);
  else if (message) expect(r.json.error.message).toMatch(message);
}

export function expectBasicChallenge(r: HttpResult): void {
  expectError(r, 401);
  expect(r.headers.get('www-authenticate')).toBe('Basic realm="Flamenco Manager"');
}

/**
 * Sends exactly these bytes with exactly these headers (no automatic Content-Type). With
 * `unfinished`, the body is written but the request never ends: the answer must come without it.
 */
export function rawRequest(
  url: string,
  method: string,
  pathname: string,
  opts: { headers?: Record<string, string | number>; body?: string | Buffer; unfinished?: boolean; localAddress?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers = { 'User-Agent': 'Flamenco-Worker/2.5', ...opts.headers };
    const req = http.request(url + pathname, { method, headers, localAddress: opts.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers, text, json });
        if (opts.unfinished) req.destroy();
      });
      res.on('error', reject);
    });
    req.on('error', (err) => reject(err));
    if (opts.unfinished) req.write(opts.body ?? '');
    else req.end(opts.body);
  });
}
