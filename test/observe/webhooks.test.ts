import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fetchSender, MAX_REFUSALS, OUTBOX_LIMIT, PARALLEL_PER_RECEIVER, RELAY_PASS_LIMIT, retryDelay, Webhooks } from '../../src/core/observe/webhooks';
import { configFromJson } from '../../src/core/support/config';
import { createLogger } from '../../src/core/support/logger';
import { ADMIN_TOKEN, onCleanup, registerWorker, request, testManager, testServer } from '../helpers/env';
import { claim, submitJob } from '../helpers/protocol';

const SECRET = 'webhook-secret-0123456789';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

/** A webhook receiver on a fixed port that can go down and come back; `answer` may look at the body. */
async function receiver(answer: (json: any) => number | 'hang' = () => 204) {
  const got: Received[] = [];
  let server: http.Server | undefined;
  let port = 0;
  const up = async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const json = JSON.parse(body);
        const a = answer(json);
        if (a === 'hang') return;
        if (a < 300) got.push({ headers: req.headers, body, json });
        res.writeHead(a).end();
      });
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    port = (server!.address() as AddressInfo).port;
  };
  const down = () =>
    new Promise<void>((r) => {
      if (!server) return r();
      server.closeAllConnections();
      server.close(() => r());
      server = undefined;
    });
  await up();
  onCleanup(down);
  return { got, up, down, url: () => `http://127.0.0.1:${port}/hook` };
}

function hooks(url: string, events = ['job-status', 'worker-status']) {
  return configFromJson({ webhooks: [{ url, events, secret: SECRET }] }).webhooks;
}

/** The journal's status changes of jobs and workers: what webhooks must report, in order. */
function statusChanges(db: import('../../src/db/open').DB): number[] {
  return db.prepare("SELECT id FROM events WHERE kind IN ('job', 'worker') AND status IS NOT previous ORDER BY id").pluck().all() as number[];
}

describe('webhooks', () => {
  it('POSTs every job status change, signed with HMAC-SHA256 of the body', async () => {
    const r = await receiver();
    const s = await testServer({ config: { webhooks: hooks(r.url(), ['job-status']) } });
    const { jobId, ids } = submitJob(s, [{ name: 'a' }], { name: 'shot 12' });
    const w = await registerWorker(s.url);
    await claim(w);
    await w.call('POST', '/output-produced', { paths: ['/render/0001.png'] });
    await w.call('POST', `/tasks/${ids.a}/update`, { task_status: 'completed' });
    const wh = s.manager.observe.webhooks;
    expect(wh.relay()).toBe(3);
    await wh.deliver();

    expect(r.got.map((g) => [g.json.job.previous_status, g.json.job.status])).toEqual([
      [null, 'queued'],
      ['queued', 'active'],
      ['active', 'completed'],
    ]);
    const last = r.got[2]!;
    expect(last.json).toMatchObject({
      event: 'job-status',
      job: { id: jobId, name: 'shot 12', status: 'completed', previous_status: 'active', last_rendered: '/render/0001.png' },
    });
    expect(last.json.job.task_counts).toMatchObject({ completed: 1, queued: 0, failed: 0 });
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers['x-flamenco-event']).toBe('job-status');
    expect(last.headers['x-flamenco-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(last.body).digest('hex')}`);
    // Nothing twice.
    expect(wh.relay()).toBe(0);
    await wh.deliver();
    expect(r.got).toHaveLength(3);
  });

  it('keeps every event while the receiver is down, across a restart, and delivers them all in order afterwards', async () => {
    const r = await receiver();
    const url = r.url();
    await r.down();
    const s = await testServer({ config: { webhooks: hooks(url) } });
    const wh = s.manager.observe.webhooks;
    const { jobId, ids } = submitJob(s, [{ name: 'a' }, { name: 'b' }]);
    const w = await registerWorker(s.url);
    await claim(w);
    wh.relay();
    await wh.deliver();
    let [head] = wh.recent(100).deliveries.slice(-1);
    expect(head).toMatchObject({ status: 'pending', attempts: 1, last_error: 'ECONNREFUSED' });
    // Not due yet: the next attempt waits 5 s.
    await w.call('POST', `/tasks/${ids.a}/update`, { task_status: 'completed' });
    s.manager.jobActions.pause(jobId);
    wh.relay();
    await wh.deliver();
    expect(wh.recent(100).deliveries.slice(-1)[0]!.attempts).toBe(1);
    s.clock.advance(5000);
    await wh.deliver();
    head = wh.recent(100).deliveries.slice(-1)[0]!;
    expect(head.attempts).toBe(2);
    expect(Date.parse(head.next_attempt!)).toBe(s.clock.now() + 10_000);

    // serve restarts: a new manager on the same database; a CLI command changes a worker meanwhile.
    const restarted = testManager({ dataDir: s.dataDir, clock: s.clock, config: s.config });
    restarted.manager.workers.requestStatus(w.id, 'asleep');
    await w.call('POST', '/ack-status-change/asleep');
    s.clock.advance(60_000);
    const wh2 = restarted.manager.observe.webhooks;
    wh2.relay();
    await r.up();
    await wh2.deliver();

    // Every event, and each job's and each worker's in the order they happened (deliveries of
    // different ones go out side by side).
    const expected = statusChanges(s.db);
    expect(expected.length).toBeGreaterThan(5);
    expect(r.got.map((g) => g.json.event_id).sort((a, b) => a - b)).toEqual(expected);
    const about = (g: Received) => g.json.job?.id ?? g.json.worker.id;
    for (const id of new Set(r.got.map(about))) {
      const ids = r.got.filter((g) => about(g) === id).map((g) => g.json.event_id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    expect(r.got.map((g) => g.json.event)).toContain('worker-status');
    expect(r.got.filter((g) => g.json.event === 'worker-status').map((g) => g.json.worker.status)).toContain('asleep');
    expect(wh2.recent(100).pending).toBe(0);
    expect(wh2.recent(100).deliveries.every((d) => d.status === 'delivered')).toBe(true);
  });

  it('retries a receiver that answers with an error, drops deliveries to a receiver no longer configured', async () => {
    let status = 500;
    const r = await receiver(() => status);
    const s = await testServer({ config: { webhooks: hooks(r.url(), ['job-status']) } });
    const wh = s.manager.observe.webhooks;
    submitJob(s, [{ name: 'a' }]);
    wh.relay();
    await wh.deliver();
    expect(wh.recent(10).deliveries[0]).toMatchObject({ status: 'pending', attempts: 1, last_error: 'the receiver answered 500' });
    status = 200;
    s.clock.advance(5000);
    await wh.deliver();
    expect(wh.recent(10).deliveries[0]).toMatchObject({ status: 'delivered', attempts: 2, last_error: null });

    submitJob(s, [{ name: 'b' }]);
    wh.relay();
    s.config.webhooks = [];
    await wh.deliver();
    expect(wh.recent(10).deliveries[0]).toMatchObject({ status: 'dropped', last_error: 'the receiver is no longer in the webhooks config' });
  });

  it('names a receiver in the log by its host and a fingerprint, never with the secret in its path', async () => {
    const r = await receiver(() => 500);
    const secretUrl = `${r.url()}/T0123/B0456/s3cr3t-path-token`;
    const lines: string[] = [];
    const s = await testServer({ config: { webhooks: hooks(secretUrl, ['job-status']) }, logger: createLogger('debug', (l) => lines.push(l)) });
    const wh = s.manager.observe.webhooks;
    submitJob(s, [{ name: 'a' }]);
    wh.relay();
    await wh.deliver();
    s.config.webhooks = [];
    submitJob(s, [{ name: 'b' }]);
    wh.relay();
    await wh.deliver();
    const about = lines.filter((l) => l.includes('webhook'));
    expect(about.length).toBeGreaterThanOrEqual(2);
    for (const l of about) {
      expect(l).not.toContain('s3cr3t-path-token');
      expect(l).toMatch(/receiver="http:\/\/127\.0\.0\.1:\d+\/… \([0-9a-f]{8}\)"/);
    }
  });

  it('gives up a delivery the receiver refuses as such (400, 413, 415, 422) five times, and sends the next ones', async () => {
    let refused = 0;
    const r = await receiver((json) => {
      if (json.job.name !== 'bad') return 204;
      refused++;
      return 422;
    });
    const lines: string[] = [];
    const s = await testServer({ config: { webhooks: hooks(r.url(), ['job-status']) }, logger: createLogger('debug', (l) => lines.push(l)) });
    const wh = s.manager.observe.webhooks;
    submitJob(s, [{ name: 'a' }], { name: 'bad' });
    submitJob(s, [{ name: 'a' }], { name: 'good' });
    expect(wh.relay()).toBe(2);
    const oldestFirst = () => wh.recent(10).deliveries.reverse();
    for (let n = 1; n < MAX_REFUSALS; n++) {
      await wh.deliver();
      // Another job's delivery does not wait for this one.
      expect(oldestFirst()).toMatchObject([
        { status: 'pending', attempts: n, last_error: 'the receiver answered 422' },
        { status: 'delivered', attempts: 1 },
      ]);
      s.clock.advance(retryDelay(n));
    }
    await wh.deliver();
    expect(refused).toBe(MAX_REFUSALS);
    const [bad, good] = oldestFirst();
    expect(bad).toMatchObject({ status: 'failed', attempts: MAX_REFUSALS, next_attempt: null, last_error: 'the receiver answered 422' });
    expect(good).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(r.got.map((g) => g.json.job.name)).toEqual(['good']);

    const warnings = lines.filter((l) => l.includes('given up'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/level=warn .*receiver="http:\/\/127\.0\.0\.1:\d+\/… \([0-9a-f]{8}\)" delivery=\d+ event_id=\d+ refusals=5 error="the receiver answered 422"/);
    const metrics = s.manager.observe.metrics.render();
    expect(metrics).toContain('\nflamenco_webhook_given_up_total 1\n');
    expect(metrics).toContain(`\nflamenco_webhook_failures_total ${MAX_REFUSALS}\n`);
    expect(metrics).toContain('\nflamenco_webhook_deliveries_total 1\n');
    const res = await request(s.url, 'GET', '/api/webhooks', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.json).toMatchObject({ pending: 0, failed: 1, deliveries: [{ status: 'delivered' }, { id: bad!.id, status: 'failed', last_error: 'the receiver answered 422' }] });

    // Given up for good: never sent again, and later deliveries go straight out.
    submitJob(s, [{ name: 'a' }], { name: 'later' });
    wh.relay();
    s.clock.advance(24 * 3600_000);
    await wh.deliver();
    expect(refused).toBe(MAX_REFUSALS);
    expect(r.got.map((g) => g.json.job.name)).toEqual(['good', 'later']);
  });

  it('never gives up on a receiver that is down, times out, is busy, answers 5xx or is misconfigured; only refusals of the body count', async () => {
    const answers: (number | 'down')[] = [
      422,
      422,
      422,
      422, // one short of giving up
      'down',
      'down',
      500,
      503,
      408,
      429,
      'down',
      502,
      429,
      408,
      'down',
      'down',
      504,
      'down',
      'down',
      'down',
      // A receiver deployed at the wrong path or with the wrong credentials, for a while.
      404,
      404,
      401,
      403,
      404,
      405,
      410,
    ];
    let n = 0;
    const r = await receiver(() => answers[n++] as number);
    const s = await testServer({ config: { webhooks: hooks(r.url(), ['job-status']) } });
    const wh = s.manager.observe.webhooks;
    submitJob(s, [{ name: 'a' }]);
    wh.relay();
    let attempts = 0;
    for (const a of answers) {
      if (a === 'down') {
        await r.down();
        n++;
      }
      await wh.deliver();
      attempts++;
      if (a === 'down') await r.up();
      const d = wh.recent(1).deliveries[0]!;
      expect(d).toMatchObject({ status: 'pending', attempts, last_error: a === 'down' ? expect.stringMatching(/^(ECONNREFUSED|UND_ERR_SOCKET)$/) : `the receiver answered ${a}` });
      s.clock.advance(retryDelay(attempts));
    }
    // Hours of retries, at most every 10 minutes, and the delivery is still there.
    expect(retryDelay(attempts)).toBe(10 * 60_000);
    // The fifth refusal, however late, gives it up.
    answers.push(400);
    await wh.deliver();
    expect(wh.recent(1)).toMatchObject({ pending: 0, failed: 1, deliveries: [{ status: 'failed', attempts: attempts + 1, last_error: 'the receiver answered 400' }] });
  });

  it('relays a long backlog in passes of at most RELAY_PASS_LIMIT events, losing and repeating none', async () => {
    const r = await receiver();
    const s = await testServer({ config: { webhooks: hooks(r.url(), ['worker-status']) } });
    const wh = s.manager.observe.webhooks;
    // The journal after a long stop: 2.5 passes of worker status changes (as the triggers write them).
    const backlog = RELAY_PASS_LIMIT * 2 + RELAY_PASS_LIMIT / 2;
    s.db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO events (kind, entity, status, previous, detail, time)
         SELECT 'worker', 'w' || i, CASE i % 2 WHEN 0 THEN 'awake' ELSE 'asleep' END, CASE i % 2 WHEN 0 THEN 'asleep' ELSE 'awake' END, 'render-' || i, ? FROM n`,
      )
      .run(backlog, s.clock.now());
    const ids = statusChanges(s.db);
    expect(ids).toHaveLength(backlog);

    expect(wh.relay()).toBe(RELAY_PASS_LIMIT);
    expect(wh.cursor()).toBe(ids[RELAY_PASS_LIMIT - 1]);
    expect(wh.relay()).toBe(RELAY_PASS_LIMIT);
    expect(wh.relay()).toBe(RELAY_PASS_LIMIT / 2);
    expect(wh.relay()).toBe(0);
    expect(wh.cursor()).toBe(ids.at(-1));
    const queued = s.db.prepare('SELECT event_id FROM webhook_deliveries ORDER BY id').pluck().all();
    expect(queued).toEqual(ids);

    // The outbox keeps the newest OUTBOX_LIMIT; they go out oldest first, the first run of them now.
    const kept = ids.slice(-OUTBOX_LIMIT);
    expect(s.db.prepare("SELECT event_id FROM webhook_deliveries WHERE status = 'pending' ORDER BY id").pluck().all()).toEqual(kept);
    await wh.deliver();
    expect(r.got.map((g) => g.json.event_id).sort((a, b) => a - b)).toEqual(kept.slice(0, r.got.length));
    expect(r.got.length).toBeGreaterThan(0);
  });

  it('never holds up workers while a receiver hangs', async () => {
    const r = await receiver(() => 'hang');
    const s = await testServer({ config: { webhooks: hooks(r.url()) } });
    const wh = s.manager.observe.webhooks;
    submitJob(s, [{ name: 'a' }]);
    wh.relay();
    const sending = wh.deliver();
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/task')).status).toBe(200);
    await r.down();
    await sending;
    expect(wh.recent(10).deliveries.at(-1)!.status).toBe('pending');
  });

  it('lists recent deliveries on /api/webhooks, with the admin token', async () => {
    const r = await receiver();
    const s = await testServer({ config: { webhooks: hooks(r.url()) } });
    submitJob(s, [{ name: 'a' }]);
    s.manager.observe.webhooks.relay();
    await s.manager.observe.webhooks.deliver();
    expect((await request(s.url, 'GET', '/api/webhooks')).status).toBe(401);
    const res = await request(s.url, 'GET', '/api/webhooks?limit=5', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ pending: 0, deliveries: [{ url: r.url(), event: 'job-status', status: 'delivered', attempts: 1 }] });
    expect((await request(s.url, 'GET', '/api/webhooks?limit=x', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(400);
  });

  it.each([
    [{ webhooks: {} }, /webhooks: must be a list/],
    [{ webhooks: [{ url: 'ftp://x/', events: ['job-status'], secret: SECRET }] }, /webhooks\[0\]\.url: must be an http/],
    [{ webhooks: [{ url: 'not a url', events: ['job-status'], secret: SECRET }] }, /webhooks\[0\]\.url/],
    [{ webhooks: [{ url: 'http://x/', events: ['job-done'], secret: SECRET }] }, /webhooks\[0\]\.events: must be a non-empty list of "job-status", "worker-status"/],
    [{ webhooks: [{ url: 'http://x/', events: [], secret: SECRET }] }, /events/],
    [{ webhooks: [{ url: 'http://x/', events: ['job-status'], secret: 'short' }] }, /secret: must be a string of at least 16/],
    [{ webhooks: [{ url: 'http://x/', events: ['job-status'], secret: SECRET, retry: 3 }] }, /^webhooks\[0\]\.retry: unknown field/],
    [
      {
        webhooks: [
          { url: 'http://x/', events: ['job-status'], secret: SECRET },
          { url: 'http://x/', events: ['job-status'], secret: SECRET },
        ],
      },
      /listed twice/,
    ],
  ])('refuses a bad webhooks config: %j', (doc, message) => {
    expect(() => configFromJson(doc)).toThrow(message);
  });
});

describe('flamenco-mgr webhooks', { timeout: 30_000 }, () => {
  it('shows pending deliveries with their last error, and delivered ones', async () => {
    const { runCli, runJson } = await import('../helpers/cli');
    const r = await receiver();
    const url = r.url();
    await r.down();
    const tm = testManager({ config: { webhooks: hooks(url, ['job-status']) } });
    tm.manager.jobs.submit({ name: 'j', job_type: 'sleep', settings: { frames: '1', chunk_size: 1, time_in_seconds: 1 } });
    tm.manager.observe.webhooks.relay();
    await tm.manager.observe.webhooks.deliver();

    const out = await runCli(['webhooks', '--data-dir', tm.dataDir]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.split('\n')[0]).toBe('1 pending');
    expect(out.stdout).toMatch(/job-status\s+pending\s+1\s/);
    expect(out.stdout).toContain('ECONNREFUSED');
    const doc = await runJson(['webhooks', '--data-dir', tm.dataDir, '--limit', '5']);
    expect(doc).toMatchObject({ pending: 1, deliveries: [{ url, status: 'pending', last_error: 'ECONNREFUSED' }] });
    const bad = await runCli(['webhooks', '--data-dir', tm.dataDir, '--limit', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('shows a delivery given up as failed, and how many were given up', async () => {
    const { runCli } = await import('../helpers/cli');
    const r = await receiver(() => 400);
    const tm = testManager({ config: { webhooks: hooks(r.url(), ['job-status']) } });
    tm.manager.jobs.submit({ name: 'j', job_type: 'sleep', settings: { frames: '1', chunk_size: 1, time_in_seconds: 1 } });
    const wh = tm.manager.observe.webhooks;
    wh.relay();
    for (let n = 1; n <= MAX_REFUSALS; n++) {
      await wh.deliver();
      tm.clock.advance(retryDelay(n));
    }
    const out = await runCli(['webhooks', '--data-dir', tm.dataDir]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.split('\n')[0]).toBe('0 pending, 1 failed');
    expect(out.stdout).toMatch(/job-status\s+failed\s+5\s.*the receiver answered 400/);
  });
});

describe('webhooks under load and with odd receivers', () => {
  it(`sends up to ${PARALLEL_PER_RECEIVER} deliveries to a receiver at once, never two of one job at once, each job's in order`, async () => {
    let open = 0;
    let most = 0;
    const openJobs = new Set<string>();
    let overlapped = false;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const job = JSON.parse(body).job.id as string;
        if (openJobs.has(job)) overlapped = true;
        openJobs.add(job);
        most = Math.max(most, ++open);
        // A slow receiver: each answer takes a moment, so the sends overlap.
        setTimeout(() => {
          open--;
          openJobs.delete(job);
          got.push(JSON.parse(body));
          res.writeHead(204).end();
        }, 30);
      });
    });
    const got: any[] = [];
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const s = await testServer({ config: { webhooks: hooks(url, ['job-status']) } });
    const jobs = Array.from({ length: 8 }, (_, i) => submitJob(s, [{ name: 'a' }], { name: `job ${i}` }).jobId);
    for (const j of jobs) s.manager.jobActions.pause(j);
    const wh = s.manager.observe.webhooks;
    expect(wh.relay()).toBe(16);
    await wh.deliver();
    expect(got).toHaveLength(16);
    expect(most).toBe(PARALLEL_PER_RECEIVER);
    expect(overlapped).toBe(false);
    for (const j of jobs) expect(got.filter((g) => g.job.id === j).map((g) => g.job.status)).toEqual(['queued', 'paused']);
  });

  it('counts a redirect (3xx) as a refusal: never followed, given up after five', async () => {
    let followed = 0;
    const target = await receiver(() => {
      followed++;
      return 204;
    });
    const r = await receiver(() => 302);
    const s = await testServer({ config: { webhooks: hooks(r.url(), ['job-status']) } });
    const wh = s.manager.observe.webhooks;
    submitJob(s, [{ name: 'a' }]);
    wh.relay();
    for (let n = 1; n <= MAX_REFUSALS; n++) {
      await wh.deliver();
      s.clock.advance(retryDelay(n));
    }
    expect(wh.recent(1)).toMatchObject({ pending: 0, failed: 1, deliveries: [{ status: 'failed', attempts: MAX_REFUSALS, last_error: 'the receiver answered 302' }] });
    expect(followed).toBe(0);
    expect(target.got).toHaveLength(0);
  });

  it("caps a receiver's outbox: the oldest pending deliveries are dropped, counted, with one warning", async () => {
    const r = await receiver();
    await r.down();
    const lines: string[] = [];
    const logger = createLogger('info', (l) => lines.push(l));
    const s = await testServer({ config: { webhooks: hooks(r.url(), ['job-status']) }, logger });
    const m = s.manager;
    const wh = new Webhooks(m.repos, m.clock, () => m.config, m.observe.metrics, logger, fetchSender, 5);
    for (let i = 0; i < 8; i++) submitJob(s, [{ name: 'a' }], { name: `job ${i}` });
    expect(wh.relay()).toBe(8);
    for (let i = 0; i < 4; i++) submitJob(s, [{ name: 'a' }], { name: `late ${i}` });
    expect(wh.relay()).toBe(4);
    const all = wh.recent(100);
    expect(all.pending).toBe(5);
    const pendingNames = all.deliveries.filter((d) => d.status === 'pending').map((d) => d.event_id);
    // The newest are kept.
    expect(pendingNames).toEqual(statusChanges(s.db).slice(-5).reverse());
    expect(all.deliveries.filter((d) => d.status === 'dropped')).toHaveLength(7);
    expect(all.deliveries.find((d) => d.status === 'dropped')!.last_error).toMatch(/outbox was full \(5 pending\)/);
    expect(m.observe.metrics.render()).toContain('\nflamenco_webhook_dropped_total 7\n');
    expect(lines.filter((l) => l.includes('webhook outbox full'))).toHaveLength(1);
  });

  it('refuses a receiver URL with credentials at config load, without printing the password', () => {
    let message = '';
    try {
      configFromJson({ webhooks: [{ url: 'https://hooks:s3cr3t-pass@example.com/in', events: ['job-status'], secret: SECRET }] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^webhooks\[0\]\.url: must not hold credentials/);
    expect(message).not.toContain('s3cr3t-pass');
    expect(() => configFromJson({ webhooks: [{ url: 'https://hooks@example.com/in', events: ['job-status'], secret: SECRET }] })).toThrow(/credentials/);
  });
});
