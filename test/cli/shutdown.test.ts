// SIGTERM while workers are busy: new work is refused politely (503, Connection: close, no new
// assignments), requests under way are answered, and serve exits as soon as they are done,
// without a single connection reset.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { registerWorker, request, tempDir } from '../helpers/env';
import { runCli, startServe, waitFor } from '../helpers/cli';
import { openDatabase } from '../../src/db/open';

interface Outcome {
  path: string;
  status?: number;
  close?: boolean;
  body?: any;
  error?: string;
}

/** One request on the worker's own kept-alive connection. */
function call(agent: http.Agent, url: string, method: string, path: string, auth: string, body?: unknown): Promise<Outcome> {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      url + path,
      { method, agent, headers: { Authorization: auth, 'Content-Length': String(data?.length ?? 0), ...(data ? { 'Content-Type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ path, status: res.statusCode, close: res.headers.connection === 'close', body: parsed });
        });
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ path, error: err.code ?? err.message }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ path, error: err.code ?? err.message }));
    req.end(data);
  });
}

describe('serve under load stops on SIGTERM', { timeout: 60_000 }, () => {
  it('refuses new work politely, answers what is under way, and exits without resets', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const token = (await runCli(['admin-token', '--data-dir', dir])).stdout.trim();
    const job = await request(s.url, 'POST', '/api/jobs', {
      auth: `Bearer ${token}`,
      body: { name: 'load', job_type: 'sleep', settings: { frames: '1-5000', chunk_size: 1, time_in_seconds: 0 } },
    });
    expect(job.status, job.text).toBe(201);
    const workers = await Promise.all(Array.from({ length: 8 }, () => registerWorker(s.url, { types: ['sleep'] })));

    const outcomes: Outcome[] = [];
    const handedOut = new Set<string>();
    let signalled = false;
    const loops = workers.map(async (w) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        // Until the manager is gone: then connecting is refused, which is how a worker sees a stopped manager.
        for (;;) {
          const t = await call(agent, s.url, 'POST', '/task', w.auth);
          outcomes.push({ ...t, body: t.status === 200 ? undefined : t.body });
          if (t.error === 'ECONNREFUSED') return;
          if (t.status !== 200) continue;
          handedOut.add(t.body._id);
          const u = await call(agent, s.url, 'POST', `/tasks/${t.body._id}/update`, w.auth, { task_status: 'completed', log: 'done' });
          outcomes.push(u);
          if (u.error === 'ECONNREFUSED') return;
        }
      } finally {
        agent.destroy();
      }
    });
    await waitFor(() => outcomes.filter((o) => o.status === 204).length >= 50, 20_000, 'the load to run');
    signalled = true;
    s.proc.kill('SIGTERM');
    const [r] = await Promise.all([s.exited, ...loops]);
    expect(signalled).toBe(true);

    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('msg=stopping signal=SIGTERM');
    // Every connection ended by itself: none had to be cut.
    expect(r.stderr).toMatch(/msg=stopped after_ms=\d+\n/);
    // No client saw a reset or a hang-up: only answers, and at the end a refused connection.
    expect(outcomes.filter((o) => o.error && o.error !== 'ECONNREFUSED')).toEqual([]);
    // New work after the signal was refused politely, on a connection being closed.
    const refused = outcomes.filter((o) => o.status === 503);
    for (const o of refused) expect(o).toMatchObject({ close: true, body: { error: { code: 'shutting_down' } } });
    expect(outcomes.filter((o) => o.status !== undefined && ![200, 204, 503].includes(o.status))).toEqual([]);

    // Every task the manager handed out reached a worker: no assignment was made and then lost.
    const db = openDatabase(dir);
    const assigned = (db.prepare("SELECT id FROM tasks WHERE status != 'queued'").all() as { id: string }[]).map((t) => t.id);
    db.close();
    expect(assigned.filter((id) => !handedOut.has(id))).toEqual([]);
  });
});
