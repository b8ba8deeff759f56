// Reads without the admin token are bounded: `limit` is capped at TOKENLESS_MAX_ROWS (also when
// none is given), so a tokenless client cannot make serve build a 29 MB answer of a 100 000-task
// job; with the token the limits stay as asked.
import { describe, expect, it } from 'vitest';
import { TOKENLESS_MAX_ROWS } from '../../src/core/support/limits';
import http from 'node:http';
import { newWorkerRecord } from '../../src/core/protocol/workers';
import { ADMIN_TOKEN, onCleanup, registerWorker, request, testServer } from '../helpers/env';

const TASKS = 2500;

async function bigJob() {
  const s = await testServer();
  const { id } = s.manager.jobs.submit({ name: 'big', job_type: 'sleep', settings: { frames: `1-${TASKS}`, chunk_size: 1 } });
  for (let i = 0; i < 3; i++) s.manager.jobs.submit({ name: `small ${i}`, job_type: 'sleep', settings: { frames: '1', chunk_size: 1 } });
  return { s, id };
}

describe('reads without the admin token', () => {
  it(`answer at most ${TOKENLESS_MAX_ROWS} tasks of a job, whatever limit is asked, and page on with offset`, async () => {
    const { s, id } = await bigJob();
    for (const q of ['?limit=1000000000', '']) {
      const r = await request(s.url, 'GET', `/api/jobs/${id}${q}`);
      expect(r.status, r.text).toBe(200);
      expect(r.json.task_list).toHaveLength(TOKENLESS_MAX_ROWS);
      expect(r.headers.get('x-omitted')).toBe(String(TASKS - TOKENLESS_MAX_ROWS));
      // The answer's size is bounded by the cap, not by the job.
      expect(r.text.length).toBeLessThan(TOKENLESS_MAX_ROWS * 600);
    }
    const last = await request(s.url, 'GET', `/api/jobs/${id}?limit=1000&offset=2000`);
    expect(last.json.task_list).toHaveLength(TASKS - 2000);
    expect(last.json.task_list[0].name).toBe((await request(s.url, 'GET', `/api/jobs/${id}?offset=2000&limit=1`)).json.task_list[0].name);
    // A smaller limit is kept.
    expect((await request(s.url, 'GET', `/api/jobs/${id}?limit=10`)).json.task_list).toHaveLength(10);
  });

  it('are capped on the job listings too; a shared answer of a capped read is not given to an admin', async () => {
    const s = await testServer();
    const jobs = TOKENLESS_MAX_ROWS + 5;
    s.manager.repos.write(() => {
      for (let i = 0; i < jobs; i++) s.manager.jobs.submit({ name: `job ${i}`, job_type: 'sleep', settings: { frames: '1', chunk_size: 1 } });
    });
    for (const p of ['/api/jobs?limit=1000000000&at=0', '/api/jobs', '/api/queue-status?limit=1000000000']) {
      const r = await request(s.url, 'GET', p);
      expect(r.headers.get('x-omitted'), p).toBe('5');
    }
    const admin = await request(s.url, 'GET', '/api/jobs?limit=1000000000&at=0', { auth: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.json).toHaveLength(jobs);
  });

  it('are capped on the workers list too (open registration lets anyone add workers)', async () => {
    const s = await testServer();
    const workers = TOKENLESS_MAX_ROWS + 3;
    const now = s.clock.now();
    s.manager.repos.write(() => {
      for (let i = 0; i < workers; i++) {
        s.manager.repos.workers.insert(
          newWorkerRecord({
            id: `${String(i).padStart(8, '0')}0000000000000000`,
            secret_hash: 'x',
            nickname: `n${i}`,
            platform: 'linux',
            supported_task_types: ['sleep'],
            caller: { address: '127.0.0.1', software: '' },
            now,
          }),
        );
      }
    });
    const r = await request(s.url, 'GET', '/api/workers?limit=1000000000');
    expect(r.status, r.text).toBe(200);
    expect(r.json).toHaveLength(TOKENLESS_MAX_ROWS);
    expect(r.headers.get('x-omitted')).toBe('3');
    expect((await request(s.url, 'GET', '/api/workers', { auth: `Bearer ${ADMIN_TOKEN}` })).json).toHaveLength(workers);
  });

  it('are capped on the blocklist too (workers anyone may register can fail tasks into it)', async () => {
    const s = await testServer();
    const { id } = s.manager.jobs.submit({ name: 'j', job_type: 'sleep', settings: { frames: '1', chunk_size: 1 } });
    const entries = TOKENLESS_MAX_ROWS + 2;
    s.manager.repos.write(() => {
      for (let i = 0; i < entries; i++) s.manager.repos.blocklist.add(id, `type-${i}`, '0123456789abcdef01234567', s.clock.now());
    });
    for (const p of ['/api/blocklist?limit=1000000000', `/api/blocklist?job=${id}`]) {
      const r = await request(s.url, 'GET', p);
      expect(r.status, r.text).toBe(200);
      expect(r.json, p).toHaveLength(TOKENLESS_MAX_ROWS);
      expect(r.headers.get('x-omitted')).toBe('2');
    }
    expect((await request(s.url, 'GET', '/api/blocklist', { auth: `Bearer ${ADMIN_TOKEN}` })).json).toHaveLength(entries);
  });

  it('with the admin token answer every task asked for', async () => {
    const { s, id } = await bigJob();
    const auth = `Bearer ${ADMIN_TOKEN}`;
    const all = await request(s.url, 'GET', `/api/jobs/${id}`, { auth });
    expect(all.json.task_list).toHaveLength(TASKS);
    expect((await request(s.url, 'GET', `/api/jobs/${id}?limit=1000000000`, { auth })).json.task_list).toHaveLength(TASKS);
  });
});

describe('reads without the admin token and the workers', () => {
  it("take turns: a worker's /task sent after sixteen large reads is answered before most of them", async () => {
    const { s, id } = await bigJob();
    const w = await registerWorker(s.url, { types: ['sleep'] });
    const agents = Array.from({ length: 17 }, () => new http.Agent({ keepAlive: true }));
    onCleanup(() => {
      for (const a of agents) a.destroy();
    });
    // Connections first, so that the requests themselves arrive together.
    await Promise.all(agents.map((agent) => get(s.url, '/api/version', agent)));
    const done: string[] = [];
    // In the order their answers start: a small answer's end would come before a large one's anyway.
    const reads = agents.slice(0, 16).map((agent, i) => get(s.url, `/api/jobs/${id}?limit=1000`, agent, undefined, 'GET', () => done.push(`read ${i}`)));
    const task = get(s.url, '/task', agents[16]!, w.auth, 'POST', () => done.push('task')).then((status) => expect(status).toBe(200));
    // serve runs in this process: holding its loop a moment lets every request arrive before it
    // reads any, as they do when many clients send at once.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const until = performance.now() + 200;
    while (performance.now() < until);
    await Promise.all([...reads, task]);
    expect(done.indexOf('task')).toBeLessThan(8);
  });
});

/** A request on `agent`; `onHeaders` is told when the answer's headers arrive. */
function get(url: string, path: string, agent: http.Agent, auth?: string, method = 'GET', onHeaders?: () => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method, agent, headers: auth ? { Authorization: auth, 'Content-Length': '0' } : {} }, (res) => {
      onHeaders?.();
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
