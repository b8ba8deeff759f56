// Text from the network reaches an admin's terminal (the CLI's tables, serve's log): a job name,
// tag or metadata with a terminal escape sequence or a line break is refused, and whatever such
// text still reaches a log line (a worker's nickname, a user agent) is written escaped.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/support/logger';
import { ADMIN_TOKEN, registerWorker, request, testServer } from '../helpers/env';

// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never be written raw
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

const SETTINGS = { blendfile: '/render/shot.blend', frames: '1-3', render_output: '/render/out/######' };
const addonJob = (extra: Record<string, unknown>) => ({ name: 'shot 12', type: 'blender-render', submitter_platform: 'linux', settings: SETTINGS, ...extra });

describe('control characters from submitters and workers', () => {
  for (const [field, extra] of [
    ['name', { name: 'shot\u001b[2J\u001b[31m12' }],
    ['name', { name: 'shot 12\rall done' }],
    ['name', { name: 'shot\u0085level=error' }],
    ['tag', { worker_tag: 'gpu\u001b]0;pwned\u0007' }],
    ['metadata.project', { metadata: { project: 'x\u2028msg=forged' } }],
  ] as const) {
    it(`a tokenless submission with one in ${field} is refused (400 naming it) and nothing is stored`, async () => {
      const s = await testServer();
      const r = await request(s.url, 'POST', '/api/v3/jobs', { body: addonJob(extra) });
      expect(r.status, r.text).toBe(400);
      expect(r.json.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: must not contain control characters`));
      const jobs = await request(s.url, 'GET', '/api/jobs?scope=all', { auth: `Bearer ${ADMIN_TOKEN}` });
      expect(jobs.json).toEqual([]);
    });
  }

  it('the same job without them is accepted', async () => {
    const s = await testServer();
    const r = await request(s.url, 'POST', '/api/v3/jobs', { body: addonJob({ worker_tag: 'gpu', metadata: { project: 'Sprite Fright' } }) });
    expect(r.status, r.text).toBe(200);
  });

  for (const [field, extra] of [
    ['nickname', { nickname: 'node\u001b[2J' }],
    ['platform', { platform: 'linux\r' }],
    ['supported_task_types', { supported_task_types: ['sleep\u0085'] }],
  ] as const) {
    it(`a worker registering with one in its ${field} is refused (400 naming it)`, async () => {
      const s = await testServer();
      const body = { secret: '0123456789abcdef0123', platform: 'linux', supported_task_types: ['sleep'], nickname: 'node', ...extra };
      const r = await request(s.url, 'POST', '/register-worker', { body });
      expect(r.status, r.text).toBe(400);
      expect(r.text).toContain(`${field} must not contain control characters`);
    });
  }

  it("a user agent and a refused job's type reach serve's log escaped, one line each", async () => {
    const lines: string[] = [];
    const s = await testServer({ logger: createLogger('debug', (l) => lines.push(l)) });
    await registerWorker(s.url, { nickname: 'node-1' });
    const ua = 'Flamenco/3.6 (Blender add-on)\u00a0\u009b31m';
    await request(s.url, 'POST', '/api/v3/jobs', { body: addonJob({}), headers: { 'User-Agent': ua } });
    // The refusal names the job type it was given.
    await request(s.url, 'POST', '/api/v3/jobs', { body: addonJob({ type: 'x\u001b[2J\u2028level=error' }) });
    const submitted = lines.find((l) => l.includes('msg="job submitted"'));
    expect(submitted).toContain('\\u009b31m');
    const refused = lines.find((l) => l.includes('msg="add-on job refused"'));
    expect(refused).toContain('\\u001b[2J\\u2028level=error');
    for (const l of lines) expect(l).not.toMatch(RAW);
  });
});
