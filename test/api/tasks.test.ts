// The task routes of the admin API: show, requeue, and the log with byte ranges and ?tail=N.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer, type TestServer, type TestWorker } from '../helpers/env';
import { waitFor } from '../helpers/cli';
import { api, BEARER, dbSnapshot, expectApiError, expectJson, fetchTask, submit, UNKNOWN_ID } from './helpers';

/** A job whose first task ran on a worker that sent three log lines; returns the log text. */
async function taskWithLog(s: TestServer): Promise<{ job: string; task: string; w: TestWorker; log: string }> {
  const { job, ids } = submit(s, [{ name: 'a' }, { name: 'b' }]);
  const w = await registerWorker(s.url);
  const t = await fetchTask(w);
  expect((await w.call('POST', `/tasks/${t._id}/update`, { log: 'line one\nline two\nline three' })).status).toBe(204);
  const log = readFileSync(s.manager.taskLogs.file(job, ids.a!), 'utf8');
  expect(log).toMatch(/: Manager assigned task [0-9a-f]{24} to worker .*\nline one\nline two\nline three\n$/);
  return { job, task: ids.a!, w, log };
}

describe('GET /api/tasks/:id', { timeout: 30_000 }, () => {
  it('shows a task in the shape the CLI uses', async () => {
    const s = await testServer();
    const { job, ids } = submit(s, [{ name: 'a' }, { name: 'b', parents: ['a'] }]);
    const w = await registerWorker(s.url, { nickname: 'node-7' });
    await fetchTask(w);
    const t = expectJson(await api(s, 'GET', `/api/tasks/${ids.a}`));
    expect(t).toEqual(s.manager.readModels.taskDetail(ids.a!));
    expect(t).toMatchObject({ id: ids.a, job, name: 'a', status: 'active', task_type: 'sleep', parents: [], worker: w.id, worker_nickname: 'node-7', failed_by_workers: [] });
    // Its run so far: who runs it since when, not ended yet, and the log that is its own.
    expect(t.runs).toEqual([{ worker: w.id, worker_nickname: 'node-7', started: t.started, ended: null, outcome: null, activity: t.activity, duration_ms: 0, log_run: 1 }]);
    expect(expectJson(await api(s, 'GET', `/api/tasks/${ids.b}`)).parents).toEqual([ids.a]);
  });

  it('answers 404 for unknown and malformed ids', async () => {
    const s = await testServer();
    expectApiError(await api(s, 'GET', `/api/tasks/${UNKNOWN_ID}`), 404, `task ${UNKNOWN_ID} not found`);
    expectApiError(await api(s, 'GET', '/api/tasks/xyz'), 404, 'task xyz not found');
  });
});

describe('POST /api/tasks/:id/requeue', { timeout: 30_000 }, () => {
  it('requeues one task, clears its failures, and refuses one being canceled', async () => {
    const s = await testServer({ config: { job_fail_share: 1 } });
    const { job, ids } = submit(s, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await registerWorker(s.url);
    await registerWorker(s.url);
    const t = await fetchTask(w1);
    await w1.call('POST', `/tasks/${t._id}/update`, { task_status: 'failed' });
    expect(s.manager.readModels.task(ids.a!).status).toBe('soft-failed');
    expect(expectJson(await api(s, 'POST', `/api/tasks/${ids.a}/requeue`))).toEqual({ requeued: 1 });
    expect(s.manager.readModels.task(ids.a!)).toMatchObject({ status: 'queued', failed_by_workers: [] });
    // Already queued: nothing to do.
    expect(expectJson(await api(s, 'POST', `/api/tasks/${ids.a}/requeue`))).toEqual({ requeued: 0 });

    const running = await fetchTask(w1);
    await api(s, 'POST', `/api/jobs/${job}/cancel`);
    const before = dbSnapshot(s);
    expectApiError(await api(s, 'POST', `/api/tasks/${running._id}/requeue`), 409, `task ${running._id} is being canceled; it cannot be requeued now`);
    expect(dbSnapshot(s)).toEqual(before);
    expectApiError(await api(s, 'POST', `/api/tasks/${UNKNOWN_ID}/requeue`), 404, `task ${UNKNOWN_ID} not found`);
  });
});

describe('GET /api/tasks/:id/log', { timeout: 30_000 }, () => {
  it('serves the whole log as text', async () => {
    const s = await testServer();
    const { task, log } = await taskWithLog(s);
    const r = await api(s, 'GET', `/api/tasks/${task}/log`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(log)));
    expect(r.text).toBe(log);
  });

  it('serves byte ranges with 206 and Content-Range', async () => {
    const s = await testServer();
    const { task, log } = await taskWithLog(s);
    const size = Buffer.byteLength(log);
    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 9],
      ['bytes=10-', 10, size - 1],
      ['bytes=-11', size - 11, size - 1],
      [`bytes=5-${size + 100}`, 5, size - 1],
      [`bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await api(s, 'GET', `/api/tasks/${task}/log`, { headers: { Range: range } });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${size}`);
      expect(r.headers.get('content-length'), range).toBe(String(end - start + 1));
      expect(r.text, range).toBe(
        Buffer.from(log)
          .subarray(start, end + 1)
          .toString(),
      );
    }
    expect((await api(s, 'GET', `/api/tasks/${task}/log`, { headers: { Range: 'bytes=-11' } })).text).toBe('line three\n');
  });

  it('answers 416 for a range outside the log, and ignores ranges it does not understand', async () => {
    const s = await testServer();
    const { task, log } = await taskWithLog(s);
    const size = Buffer.byteLength(log);
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=9-3']) {
      const r = await api(s, 'GET', `/api/tasks/${task}/log`, { headers: { Range: range } });
      expect(r.status, range).toBe(416);
      expect(r.headers.get('content-range'), range).toBe(`bytes */${size}`);
    }
    for (const range of ['items=0-3', 'bytes=0-1,4-5', 'bytes=-', 'bytes=x-y']) {
      const r = await api(s, 'GET', `/api/tasks/${task}/log`, { headers: { Range: range } });
      expect(r.status, range).toBe(200);
      expect(r.text, range).toBe(log);
    }
  });

  it('serves the last N lines with ?tail=N', async () => {
    const s = await testServer();
    const { task, log } = await taskWithLog(s);
    const tail = async (q: string) => api(s, 'GET', `/api/tasks/${task}/log?tail=${q}`);
    expect((await tail('1')).text).toBe('line three\n');
    expect((await tail('2')).text).toBe('line two\nline three\n');
    expect((await tail('0')).text).toBe('');
    expect((await tail('4')).text).toBe(log);
    expect((await tail('100')).text).toBe(log);
    const r = await tail('2');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    for (const bad of ['-1', 'x', '1.5', '', '100001']) {
      expectApiError(await tail(bad), 400, 'tail: must be a whole number from 0 to 100000');
    }
  });

  it('serves an empty log for a task that never ran, and 404 for an unknown task', async () => {
    const s = await testServer();
    const { ids } = submit(s, [{ name: 'a' }]);
    const r = await api(s, 'GET', `/api/tasks/${ids.a}/log`);
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expectApiError(await api(s, 'GET', `/api/tasks/${UNKNOWN_ID}/log`), 404, `task ${UNKNOWN_ID} not found`);
    expectApiError(await api(s, 'GET', '/api/tasks/xyz/log'), 404, 'task xyz not found');
  });

  it('serves only the current run after the task was assigned anew', async () => {
    const s = await testServer();
    const { task, w } = await taskWithLog(s);
    expect((await w.call('POST', `/tasks/${task}/return`)).status).toBe(204);
    const again = await fetchTask(w);
    expect(again._id).toBe(task);
    const r = await api(s, 'GET', `/api/tasks/${task}/log`);
    expect(r.text).toMatch(/^\S+: Manager assigned task [0-9a-f]{24} to worker .*\n$/);
    expect(r.text).not.toContain('line one');
  });

  it('matches GET /logfile/{job}/{task}', async () => {
    const s = await testServer();
    const { job, task } = await taskWithLog(s);
    for (const [q, headers] of [
      ['', {}],
      ['?tail=2', {}],
      ['', { Range: 'bytes=3-12' }],
    ] as const) {
      const a = await api(s, 'GET', `/api/tasks/${task}/log${q}`, { headers });
      const b = await api(s, 'GET', `/logfile/${job}/${task}${q}`, { headers });
      expect(b.status).toBe(a.status);
      expect(b.text).toBe(a.text);
      expect(b.headers.get('content-range')).toBe(a.headers.get('content-range'));
    }
  });

  it('leaves no file open after HEAD requests', async () => {
    const s = await testServer();
    const { task, log } = await taskWithLog(s);
    const open = () => readdirSync('/proc/self/fd').length;
    // Warm up the connection pool, then count.
    await api(s, 'HEAD', `/api/tasks/${task}/log`);
    const before = open();
    for (let i = 0; i < 20; i++) {
      const r = await api(s, 'HEAD', `/api/tasks/${task}/log`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(log)));
      expect(r.text).toBe('');
    }
    expect(open()).toBeLessThan(before + 5);
  });

  it('leaves no file open when a client goes away mid-download', async () => {
    const s = await testServer();
    const { ids } = submit(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    await fetchTask(w);
    await w.call('POST', `/tasks/${ids.a}/update`, { log: ('x'.repeat(999) + '\n').repeat(8000) });
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve) => {
        const req = http.get(`${s.url}/api/tasks/${ids.a}/log`, { headers: { Authorization: BEARER } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => resolve());
      });
    }
    await waitFor(() => open() < before + 5, 5_000, 'the log files to be closed');
  });
});
