// What /api/v3/worker answers when something is wrong or refused, chosen by what the Flamenco 3
// worker does with each answer: registration policy, forgotten workers, "try again later" (never
// a re-registration), and the images of output-produced.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { REGISTRATIONS_PER_ADDRESS } from '../../src/core/protocol/registration-limits';
import { parseNetworks } from '../../src/core/support/networks';
import { FAILURES_PER_ADDRESS } from '../../src/core/protocol/login-limits';
import { drain } from '../../src/http/drain';
import { UPLOAD_WINDOW_MS, UPLOADS_PER_WINDOW } from '../../src/http/v3-uploads';
import { basicAuth, request, testManager, testServer } from '../helpers/env';
import { rawRequest, submitJob, taskRec, UNKNOWN_ID } from '../helpers/protocol';
import { F3_TASK_TYPES, f3Claim, f3Request, registerF3 } from '../helpers/f3-worker';

const registration = (name = 'render-01') => ({ name, secret: 'ab'.repeat(32), platform: 'linux', supported_task_types: F3_TASK_TYPES });

describe('/api/v3/worker/register-worker: who may register', { timeout: 30_000 }, () => {
  it('is open without a registration secret, limited per address', async () => {
    const s = await testServer();
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS; i++) {
      expect((await f3Request(s.url, 'POST', '/register-worker', 'Basic Og==', registration(`w${i}`))).status).toBe(200);
    }
    const r = await f3Request(s.url, 'POST', '/register-worker', 'Basic Og==', registration());
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('with a registration secret, is refused with a 403 that says what to configure', async () => {
    const s = await testServer({ config: { registration_secret: 'registration-secret-for-tests' } });
    const r = await f3Request(s.url, 'POST', '/register-worker', 'Basic Og==', registration());
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ code: 403, message: expect.stringContaining('"f3_worker_networks"') });
    expect(s.manager.repos.workers.list()).toHaveLength(0);
  });

  it('with a registration secret, admits workers from f3_worker_networks, limited per address', async () => {
    const s = await testServer({ config: { registration_secret: 'registration-secret-for-tests', f3_worker_networks: parseNetworks(['127.0.0.0/8']) } });
    const r = await f3Request(s.url, 'POST', '/register-worker', 'Basic Og==', registration());
    expect(r.status).toBe(200);
    // No token vouches for them: the per-address limit applies as to open registration.
    for (let i = 1; i < REGISTRATIONS_PER_ADDRESS; i++) expect((await f3Request(s.url, 'POST', '/register-worker', 'Basic Og==', registration(`w${i}`))).status).toBe(200);
    expect((await f3Request(s.url, 'POST', '/register-worker', 'Basic Og==', registration('one-too-many'))).status).toBe(429);
    expect(r.json).toEqual({
      uuid: expect.stringMatching(/^[0-9a-f]{24}$/),
      name: 'render-01',
      address: '127.0.0.1',
      status: 'offline',
      platform: 'linux',
      software: 'Flamenco/3.9-beta1 (cf286e71)',
      supported_task_types: F3_TASK_TYPES,
    });
    const other = await testServer({ config: { registration_secret: 'registration-secret-for-tests', f3_worker_networks: parseNetworks(['10.0.0.0/8']) } });
    expect((await f3Request(other.url, 'POST', '/register-worker', 'Basic Og==', registration())).status).toBe(403);
  });

  it("refuses bad registrations with 400 in Flamenco 3's error shape", async () => {
    const s = await testServer();
    const r = await f3Request(s.url, 'POST', '/register-worker', 'Basic Og==', { ...registration(), secret: 'short' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 400, message: expect.stringContaining('secret') });
  });
});

describe('/api/v3/worker: a forgotten worker', { timeout: 30_000 }, () => {
  it('stops its task, drops its updates, goes offline, and registers anew at its next start', async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    const { ids } = submitJob(s, [{ name: 'a' }]);
    await f3Claim(w);
    // forget-worker from the CLI: another process on the same data directory.
    expect(testManager({ dataDir: s.dataDir, clock: s.clock }).manager.workers.forget(w.id)).toBe(1);
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'queued', worker_id: null });

    const may = await w.call('GET', `/task/${ids.a}/may-i-run`);
    expect(may.status).toBe(200);
    expect(may.json).toEqual({ mayKeepRunning: false, reason: expect.stringContaining('forgotten'), statusChangeRequested: true });
    expect((await w.call('POST', `/task/${ids.a}`, { log: 'pid=1 > queued line' })).status).toBe(409);
    const task = await w.call('POST', '/task');
    expect(task.status).toBe(423);
    expect(task.json).toEqual({ status_requested: 'offline' });
    expect((await w.call('GET', '/state')).json).toEqual({ status_requested: 'offline' });
    expect((await w.call('POST', '/sign-off')).status).toBe(401);
    expect(taskRec(s, ids.a!)).toMatchObject({ status: 'queued', worker_id: null });

    // Started again: sign-on is refused (401), so it registers as a new worker.
    const on = await w.call('POST', '/sign-on', { name: w.name, supported_task_types: F3_TASK_TYPES, software_version: '3.9', can_restart: false });
    expect(on.status).toBe(401);
    expect(on.json).toEqual({ code: 401, message: expect.any(String) });
  });

  it('takes credentials of another manager (a UUID) as unknown', async () => {
    const s = await testServer();
    const r = await f3Request(s.url, 'POST', '/sign-on', basicAuth('1e9b2a3c-0000-4000-8000-000000000000', 'ab'.repeat(32)), {
      name: 'x',
      supported_task_types: ['misc'],
      software_version: '3.9',
    });
    expect(r.status).toBe(401);
    expect((await f3Request(s.url, 'POST', '/task', basicAuth(UNKNOWN_ID, 'ab'.repeat(32)))).json).toEqual({ status_requested: 'offline' });
  });
});

describe('/api/v3/worker: try again later', { timeout: 60_000 }, () => {
  it('answers a sign-on that cannot be checked now with 200 and a body the worker cannot read, so it signs on again instead of registering', async () => {
    const first = await testServer();
    const w = await registerF3(first.url, { signOn: false });
    // A fresh serve (nothing verified in memory), and an address that failed too often.
    const s = await testServer({ dataDir: first.dataDir, clock: first.clock });
    // Guesses for many ids, so that the address limit is the one reached.
    for (let i = 0; i < FAILURES_PER_ADDRESS; i++) await f3Request(s.url, 'POST', '/sign-on', basicAuth(`${i}`.padStart(24, 'c'), `wrong-${i}`), {});
    const r = await f3Request(s.url, 'POST', '/sign-on', basicAuth(w.id, w.secret), { name: w.name, supported_task_types: F3_TASK_TYPES, software_version: '3.9' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/json/);
    expect(typeof r.json).toBe('string');
    expect(s.manager.repos.workers.get(w.id)!.status).toBe('');
    // Its task updates: the same, so it keeps them queued.
    const u = await f3Request(s.url, 'POST', `/task/${UNKNOWN_ID}`, basicAuth(w.id, w.secret), { activity: 'x' });
    expect(u.status).toBe(429);
    expect(typeof u.json).toBe('string');
    // Once the window has passed it signs on.
    s.clock.advance(60_000);
    const later = await f3Request(s.url, 'POST', '/sign-on', basicAuth(w.id, w.secret), { name: w.name, supported_task_types: F3_TASK_TYPES, software_version: '3.9' });
    expect(later.json).toEqual({ status_requested: 'awake' });
  });

  it("answers a stopping serve's refusals so that the worker keeps its update and signs on again", async () => {
    const s = await testServer();
    const w = await registerF3(s.url);
    const { ids } = submitJob(s, [{ name: 'a' }]);
    await f3Claim(w);
    // Connections kept open across serve's stop: the next request on each is refused.
    const agents = [new http.Agent({ keepAlive: true, maxSockets: 1 }), new http.Agent({ keepAlive: true, maxSockets: 1 })];
    const send = (agent: http.Agent, path: string, body: unknown) =>
      new Promise<{ status: number; type: string | undefined; text: string }>((resolve, reject) => {
        const req = http.request(
          `${s.url}/api/v3/worker${path}`,
          { method: 'POST', agent, headers: { Authorization: basicAuth(w.id, w.secret), 'Content-Type': 'application/json' } },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], text }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    expect((await send(agents[0]!, `/task/${ids.a}`, { activity: 'Started', taskStatus: 'active' })).status).toBe(204);
    expect((await send(agents[1]!, '/state-changed', { status: 'awake' })).status).toBe(204);
    const stopped = drain(s.server, { graceMs: 60_000 });
    const refusedUpdate = await send(agents[0]!, `/task/${ids.a}`, { activity: 'Completed', taskStatus: 'completed' });
    expect(refusedUpdate.status).toBe(503);
    expect(refusedUpdate.type).toMatch(/json/);
    expect(typeof JSON.parse(refusedUpdate.text)).toBe('string');
    expect(taskRec(s, ids.a!).status).toBe('active');
    // A sign-on: 200 with a body the worker cannot read, so it signs on again in 5 s.
    const signOn = await send(agents[1]!, '/sign-on', { name: w.name, supported_task_types: F3_TASK_TYPES, software_version: '3.9' });
    expect(signOn.status).toBe(200);
    expect(typeof JSON.parse(signOn.text)).toBe('string');
    for (const a of agents) a.destroy();
    await stopped;
  });
});

describe('/api/v3/worker/task/{id}/output-produced', { timeout: 30_000 }, () => {
  async function running() {
    const s = await testServer();
    const w = await registerF3(s.url);
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    await f3Claim(w);
    const upload = (body: Buffer, headers: Record<string, string | number> = { 'Content-Type': 'image/jpeg' }) =>
      rawRequest(s.url, 'POST', `/api/v3/worker/task/${ids.a}/output-produced`, {
        headers: { 'User-Agent': 'Flamenco/3.9-beta1 (cf286e71)', Authorization: basicAuth(w.id, w.secret), ...headers },
        body,
      });
    return { s, w, jobId, task: ids.a!, upload };
  }

  it("keeps the image as the job's last rendered one, served like a reported frame", async () => {
    const { s, jobId, upload } = await running();
    const image = jpeg();
    const r = await upload(image);
    expect(r.status, r.text).toBe(202);
    expect(r.headers.get('content-type')).toBeNull();
    const shown = await request(s.url, 'GET', `/api/jobs/${jobId}/last-rendered`, { headers: { Authorization: 'Bearer test-admin-token-0123456789' } });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-type')).toBe('image/jpeg');
    const farm = await fetch(`${s.url}/api/last-rendered`, { headers: { Authorization: 'Bearer test-admin-token-0123456789' } });
    expect(Buffer.from(await farm.arrayBuffer()).equals(image)).toBe(true);
    // The worker sends the image, not its file: no frame number is read from the label it is kept under.
    const info = await request(s.url, 'GET', `/api/jobs/${jobId}/last-rendered/info`, { headers: { Authorization: 'Bearer test-admin-token-0123456789' } });
    expect(info.json).toMatchObject({ job: jobId, frame: null });
    expect(info.json.path).toMatch(/^image of task [0-9a-f]{24} sent by /);
  });

  it('answers 411, 413, 415 and 429 as Flamenco 3 does, before reading the image', async () => {
    const { s, w, jobId, task, upload } = await running();
    // No Content-Length: a chunked body.
    const chunked = await upload(jpeg(), { 'Content-Type': 'image/jpeg', 'Transfer-Encoding': 'chunked' });
    expect(chunked.status).toBe(411);
    expect(chunked.json).toEqual({ code: 411, message: 'Content-Length header required' });
    // Declared too large: answered without the body being sent.
    const big = await rawRequest(s.url, 'POST', `/api/v3/worker/task/${task}/output-produced`, {
      headers: { Authorization: basicAuth(w.id, w.secret), 'Content-Type': 'image/jpeg', 'Content-Length': 26 * 1024 * 1024 },
      body: jpeg(),
      unfinished: true,
    });
    expect(big.status).toBe(413);
    expect(big.json).toEqual({ code: 413, message: expect.stringContaining('image too large') });
    expect((await upload(jpeg(), { 'Content-Type': 'image/tiff' })).status).toBe(415);
    expect((await upload(Buffer.from('not an image at all'), { 'Content-Type': 'image/jpeg' })).status).toBe(415);
    // Too frequent: a few images per window, then 429 until the window ends.
    for (let i = 1; i < UPLOADS_PER_WINDOW; i++) expect((await upload(jpeg())).status).toBe(202);
    const again = await upload(jpeg());
    expect(again.status).toBe(429);
    expect(again.json).toEqual({ code: 429, message: expect.stringContaining('images per') });
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    s.clock.advance(UPLOAD_WINDOW_MS);
    expect((await upload(jpeg())).status).toBe(202);
    expect(s.manager.repos.jobs.get(jobId)!.last_output).toMatch(/^image of task \w+ sent by /);
  });
});

/** A small JPEG: its magic bytes are what counts. */
function jpeg(): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7), Buffer.from([0xff, 0xd9])]);
}
