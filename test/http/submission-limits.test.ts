// Huge or too frequent submissions: a job past max_tasks_per_job or a frame range past the
// submission's frame limit is refused with 422 naming the limit, by every submission route, and
// nothing is stored; tokenless submissions are limited per address (429 + Retry-After); repeated
// refusals from one address are logged once per interval with a count.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/support/logger';
import { MAX_FRAMES_PER_SUBMISSION, TOKENLESS_SUBMISSIONS_PER_WINDOW } from '../../src/core/support/limits';
import { parseNetworks } from '../../src/core/support/networks';
import { edited, recorded, replay } from '../helpers/addon';
import { farmDir, runCli } from '../helpers/cli';
import { ADMIN_TOKEN, request, testServer } from '../helpers/env';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const submission = (frames: string, chunk = 1) =>
  edited(recorded('submit', 'POST', '/api/v3/jobs'), (b) => {
    b.settings.frames = frames;
    b.settings.chunk_size = chunk;
  });
const sleepJob = (frames: string, chunk = 1) => ({ name: 'big', job_type: 'sleep', settings: { frames, chunk_size: chunk } });

describe('a submission too large', () => {
  it('is refused with 422 naming max_tasks_per_job on /api/v3/jobs and /api/jobs, and nothing is stored', async () => {
    const s = await testServer({ config: { max_tasks_per_job: 50 } });
    const v3 = await replay(s.url, submission('1-51'));
    expect(v3.status, v3.text).toBe(422);
    expect(v3.json.message).toMatch(/52 tasks, more than max_tasks_per_job \(50\)/);
    const api = await request(s.url, 'POST', '/api/jobs', { auth: `Bearer ${ADMIN_TOKEN}`, body: sleepJob('1-51') });
    expect(api.status, api.text).toBe(422);
    expect(api.json.error.message).toMatch(/max_tasks_per_job \(50\)/);
    expect(s.manager.readModels.jobs()).toEqual([]);
    // At the limit, or in larger chunks, it goes.
    expect((await replay(s.url, submission('1-49'))).status).toBe(200);
    expect((await request(s.url, 'POST', '/api/jobs', { auth: `Bearer ${ADMIN_TOKEN}`, body: sleepJob('1-100000', 2000) })).status).toBe(201);
  });

  it('has 10 000 tasks as its default limit: the 353-byte submission of 100 000 tasks is refused', async () => {
    const s = await testServer();
    const r = await replay(s.url, submission('1-100000'));
    expect(r.status, r.text).toBe(422);
    expect(r.json.message).toMatch(/100001 tasks, more than max_tasks_per_job \(10000\)/);
    expect(s.manager.repos.db.prepare('SELECT count(*) FROM tasks').pluck().get()).toBe(0);
  });

  it('is refused with 422 naming the frame limit past the frames one submission may name', async () => {
    const s = await testServer();
    const r = await replay(s.url, submission(`1-${MAX_FRAMES_PER_SUBMISSION + 1}`, 1000));
    expect(r.status, r.text).toBe(422);
    expect(r.json.message).toContain(`more than ${MAX_FRAMES_PER_SUBMISSION} frames`);
  });

  it('is refused by the CLI with one line naming the limit and a non-zero exit', async () => {
    const dir = farmDir();
    writeFileSync(path.join(dir, 'serve-config.json'), JSON.stringify({ max_tasks_per_job: 5 }));
    const file = path.join(dir, 'job.json');
    writeFileSync(file, JSON.stringify(sleepJob('1-6')));
    const r = await runCli(['submit', file, '--data-dir', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^flamenco-mgr: .*6 tasks, more than max_tasks_per_job \(5\)/)]);
  });
});

describe('tokenless submissions', () => {
  it(`and checks are limited to ${TOKENLESS_SUBMISSIONS_PER_WINDOW} a minute per address (429 + Retry-After), logged once with a count`, async () => {
    const lines: string[] = [];
    const s = await testServer({ logger: createLogger('info', (l) => lines.push(l)) });
    // The add-on's checks count too: a check and a submission per job.
    for (let i = 0; i < TOKENLESS_SUBMISSIONS_PER_WINDOW / 2; i++) {
      expect((await replay(s.url, { ...submission('1-3', 3), path: '/api/v3/jobs/check' })).status).toBe(204);
      expect((await replay(s.url, submission('1-3', 3))).status).toBe(200);
    }
    for (let i = 0; i < 5; i++) {
      const r = await replay(s.url, submission('1-3', 3));
      expect(r.status, r.text).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.json.message).toMatch(/too many submissions/);
    }
    expect((await replay(s.url, { ...submission('1-3', 3), path: '/api/v3/jobs/check' })).status).toBe(429);
    expect(s.manager.readModels.jobs()).toHaveLength(TOKENLESS_SUBMISSIONS_PER_WINDOW / 2);
    expect(lines.filter((l) => l.includes('rate limit'))).toHaveLength(1);
    // With the admin token, /api/jobs is not limited.
    expect((await request(s.url, 'POST', '/api/jobs', { auth: `Bearer ${ADMIN_TOKEN}`, body: sleepJob('1-3', 3) })).status).toBe(201);
    s.clock.advance(60_000);
    expect((await replay(s.url, submission('1-3', 3))).status).toBe(200);
  });
});

describe('refusals in the log', () => {
  it('are written once per address and interval, the next line saying how many were left out', async () => {
    const lines: string[] = [];
    const s = await testServer({ config: { trusted_networks: parseNetworks(['127.0.0.1/32']) }, logger: createLogger('info', (l) => lines.push(l)) });
    const refusedLines = () => lines.filter((l) => l.includes('add-on request refused'));
    for (let i = 0; i < 200; i++) expect((await replay(s.url, recorded('submit', 'POST', '/api/v3/jobs'), { localAddress: '127.0.0.2' })).status).toBe(403);
    expect(refusedLines()).toHaveLength(1);
    expect(refusedLines()[0]).toContain('address=127.0.0.2');
    s.clock.advance(60_000);
    expect((await replay(s.url, recorded('submit', 'POST', '/api/v3/jobs'), { localAddress: '127.0.0.2' })).status).toBe(403);
    expect(refusedLines()).toHaveLength(2);
    expect(refusedLines()[1]).toContain('refused_since_last_line=199');
  });
});
