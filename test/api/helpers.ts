// Helpers for admin API tests: calls with the admin token, jobs with running tasks, and the
// error-body check.
import { expect } from 'vitest';
import { ADMIN_TOKEN, customJob, type HttpResult, request, type TestServer, type TestWorker } from '../helpers/env';

export const BEARER = `Bearer ${ADMIN_TOKEN}`;

/** A well-formed id that no record has. */
export const UNKNOWN_ID = '0123456789abcdef01234567';

/** Calls the admin API with the right token. `body` is sent as JSON; `raw` as given. */
export function api(s: TestServer, method: string, pathname: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return request(s.url, method, pathname, { auth: BEARER, body: opts.body, rawBody: opts.raw, headers: opts.headers });
}

const CODES: Record<number, string> = { 400: 'validation', 401: 'unauthorized', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict' };

/** A JSON `{"error": {"code", "message"}}` body with the code that goes with the status. */
export function expectApiError(r: HttpResult, status: number, message?: string | RegExp): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.json, r.text).toEqual({ error: { code: CODES[status], message: expect.any(String) } });
  if (typeof message === 'string') expect(r.json.error.message).toBe(message);
  else if (message) expect(r.json.error.message).toMatch(message);
}

export function expectJson(r: HttpResult, status = 200): any {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  return r.json;
}

/** Submits a custom job in-process; returns its id and task ids by name. */
export function submit(s: TestServer, tasks: Parameters<typeof customJob>[0], extra: Record<string, unknown> = {}) {
  const { id } = s.manager.jobs.submit(customJob(tasks, extra));
  const ids: Record<string, string> = {};
  for (const t of s.manager.repos.tasks.listForJob(id)) ids[t.name] = t.id;
  return { job: id, ids };
}

/** The worker fetches a task over HTTP; there must be one. */
export async function fetchTask(w: TestWorker): Promise<any> {
  const r = await w.call('POST', '/task');
  expect(r.status, r.text).toBe(200);
  return r.json;
}

/** Every row of the main tables, to show that a refused request changed nothing. */
export function dbSnapshot(s: TestServer): Record<string, string[]> {
  const tables = ['jobs', 'tasks', 'job_task_counts', 'task_failures', 'task_parents', 'blocklist', 'workers', 'sleep_schedules'];
  return Object.fromEntries(
    tables.map((t) => [
      t,
      s.db
        .prepare(`SELECT * FROM ${t}`)
        .all()
        .map((r) => JSON.stringify(r))
        .sort(),
    ]),
  );
}
