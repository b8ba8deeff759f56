// Reads without the admin token are bounded: `limit` is capped at TOKENLESS_MAX_ROWS (also when
// none is given), so a tokenless client cannot make serve build a 29 MB answer of a 100 000-task
// job; with the token the limits stay as asked.
import { describe, expect, it } from 'vitest';
import { TOKENLESS_MAX_ROWS } from '../../src/core/support/limits';
import { ADMIN_TOKEN, request, testServer } from '../helpers/env';

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

  it('with the admin token answer every task asked for', async () => {
    const { s, id } = await bigJob();
    const auth = `Bearer ${ADMIN_TOKEN}`;
    const all = await request(s.url, 'GET', `/api/jobs/${id}`, { auth });
    expect(all.json.task_list).toHaveLength(TASKS);
    expect((await request(s.url, 'GET', `/api/jobs/${id}?limit=1000000000`, { auth })).json.task_list).toHaveLength(TASKS);
  });
});
