import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseNetworks } from '../../src/core/support/networks';
import { CHANGES_TASK_LIMIT, CLIENT_BUFFER_LIMIT, CLIENTS_PER_TURN, EventStreamHub, REPLAY_LIMIT } from '../../src/http/events-stream';
import { ADMIN_TOKEN, customJob, registerWorker, request, testManager, testServer } from '../helpers/env';
import { claim, submitJob } from '../helpers/protocol';
import { openEvents } from '../helpers/sse';

describe('GET /api/events', () => {
  it('streams job, task and worker changes as they happen', async () => {
    const s = await testServer();
    const c = await openEvents(s.url);
    expect(c.status).toBe(200);
    expect(c.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await c.waitFor((e) => e.event === 'ready', 'ready');

    const { jobId } = submitJob(s, [{ name: 'a' }], { name: 'shot 12' });
    const w = await registerWorker(s.url, { nickname: 'render-01' });
    const t = await claim(w);
    s.manager.observe.feed.poll();

    const job = await c.waitFor((e) => e.event === 'job' && e.data.status === 'queued', 'job submitted');
    expect(job.data).toMatchObject({ id: jobId, name: 'shot 12', previous: null });
    expect(Number(job.id)).toBeGreaterThan(0);
    await c.waitFor((e) => e.event === 'worker' && e.data.nickname === 'render-01' && e.data.status === 'starting', 'worker signed on');
    const task = await c.waitFor((e) => e.event === 'task' && e.data.status === 'active', 'task assigned');
    expect(task.data).toMatchObject({ id: t._id, job: jobId, previous: 'queued', worker: w.id });
    await c.waitFor((e) => e.event === 'job' && e.data.status === 'active', 'job active');
    // Ids only grow.
    const ids = c.events.filter((e) => e.event !== 'ready').map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('with ?coalesce=1 sends one "changes" frame per batch: the jobs, tasks and workers that changed', async () => {
    const s = await testServer();
    const c = await openEvents(s.url, {}, '?coalesce=1');
    const full = await openEvents(s.url);
    await c.waitFor((e) => e.event === 'ready', 'ready');
    const { jobId } = submitJob(
      s,
      Array.from({ length: 3 }, (_, i) => ({ name: `t${i}` })),
    );
    const w = await registerWorker(s.url);
    const t = await claim(w);
    s.manager.observe.feed.poll();
    const frame = await c.waitFor((e) => e.event === 'changes', 'a changes frame');
    expect(frame.data).toEqual({ jobs: [jobId], tasks: expect.any(Array), more_tasks: false, workers: [w.id], last_rendered: [] });
    expect(frame.data.tasks).toContainEqual({ id: t._id, job: jobId });
    // The same batch, event by event, for a client that did not ask to coalesce; the frame's id is
    // the batch's last event, so Last-Event-ID resumes after it.
    const last = await full.waitFor((e) => e.event === 'task' && e.data.id === t._id && e.data.status === 'active');
    await full.waitFor((e) => Number(e.id) === Number(frame.id));
    expect(Number(frame.id)).toBeGreaterThanOrEqual(Number(last.id));
    expect(c.events.filter((e) => e.event === 'changes')).toHaveLength(1);
    expect((await request(s.url, 'GET', '/api/events?coalesce=maybe')).status).toBe(400);
  });

  it('with ?coalesce=1 lists at most CHANGES_TASK_LIMIT tasks and says there were more', async () => {
    const s = await testServer();
    const c = await openEvents(s.url, {}, '?coalesce=1');
    await c.waitFor((e) => e.event === 'ready', 'ready');
    const { jobId } = submitJob(
      s,
      Array.from({ length: CHANGES_TASK_LIMIT + 5 }, (_, i) => ({ name: `t${i}` })),
    );
    s.manager.jobActions.cancel(jobId);
    s.manager.observe.feed.poll();
    const frame = await c.waitFor((e) => e.event === 'changes');
    expect(frame.data.tasks).toHaveLength(CHANGES_TASK_LIMIT);
    expect(frame.data.more_tasks).toBe(true);
    expect(frame.data.jobs).toEqual([jobId]);
  });

  it('sees changes that another process makes to the database', async () => {
    const s = await testServer();
    const { jobId } = submitJob(s, [{ name: 'a' }]);
    const c = await openEvents(s.url);
    await c.waitFor((e) => e.event === 'ready');
    const cli = testManager({ dataDir: s.dataDir, clock: s.clock });
    cli.manager.jobActions.cancel(jobId);
    s.manager.observe.feed.poll();
    await c.waitFor((e) => e.event === 'job' && e.data.id === jobId && e.data.status === 'canceled', 'the cancel from the other process');
  });

  it('resumes after Last-Event-ID with exactly the events missed', async () => {
    const s = await testServer();
    const first = await openEvents(s.url);
    const { jobId } = submitJob(s, [{ name: 'a' }]);
    s.manager.observe.feed.poll();
    const seen = await first.waitFor((e) => e.event === 'job');
    first.close();

    s.manager.jobActions.pause(jobId);
    s.manager.jobActions.setPriority(jobId, 80);
    s.manager.observe.feed.poll();

    const again = await openEvents(s.url, { 'Last-Event-ID': seen.id! });
    await again.waitFor((e) => e.event === 'job' && e.data.status === 'paused' && e.data.previous === 'queued');
    await again.waitFor((e) => e.event === 'job' && Number(e.id) === Number(seen.id) + 3);
    expect(again.events.some((e) => e.event === 'ready' || e.event === 'resync')).toBe(false);
    expect(again.events.every((e) => Number(e.id) > Number(seen.id))).toBe(true);
  });

  it('answers a Last-Event-ID older than the journal keeps with "resync"', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }]);
    submitJob(s, [{ name: 'b' }]);
    s.manager.observe.feed.poll();
    // The journal keeps what the webhook relay has not read; once it has, the events may go.
    expect(s.manager.observe.feed.prune(0)).toBe(0);
    s.manager.observe.webhooks.relay();
    expect(s.manager.observe.feed.prune(0)).toBeGreaterThan(0);
    const c = await openEvents(s.url, { 'Last-Event-ID': '0' });
    const r = await c.waitFor((e) => e.event === 'resync');
    expect(Number(r.id)).toBe(s.manager.observe.feed.position());
  });

  it('replays no more than a connected client may have unsent: past that, "resync"', async () => {
    const s = await testServer();
    const before = s.manager.observe.feed.position();
    // Over CLIENT_BUFFER_LIMIT of frames, though fewer events than REPLAY_LIMIT.
    const { id } = s.manager.jobs.submit(customJob(Array.from({ length: REPLAY_LIMIT - 10 }, (_, i) => ({ name: `t${i}` }))));
    s.manager.jobActions.cancel(id);
    s.manager.observe.feed.poll();
    const missed = s.manager.observe.feed.position() - before;
    expect(missed).toBeLessThan(REPLAY_LIMIT);
    const full = await openEvents(s.url, { 'Last-Event-ID': String(before) });
    expect((await full.waitFor((e) => e.event !== 'ready')).event).toBe('resync');
    // The dashboard's coalesced stream gets its one small frame for the same events.
    const coalesced = await openEvents(s.url, { 'Last-Event-ID': String(before) }, '?coalesce=1');
    const frame = await coalesced.waitFor((e) => e.event !== 'ready');
    expect(frame.event).toBe('changes');
    expect(frame.data.jobs).toEqual([id]);
  });

  it('needs the admin token from outside trusted_networks', async () => {
    const s = await testServer({ config: { trusted_networks: parseNetworks(['10.0.0.0/8']) } });
    expect((await request(s.url, 'GET', '/api/events')).status).toBe(401);
    const c = await openEvents(s.url, { Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(c.status).toBe(200);
  });
});

describe('many clients', () => {
  it('get each batch a slice of clients per turn of the event loop, in order, so that requests are answered between the slices', async () => {
    const s = await testServer();
    const hub = new EventStreamHub(s.manager.observe.feed);
    const fake = { headers: {} } as never;
    const clients = Array.from({ length: 3 * CLIENTS_PER_TURN + 1 }, () => {
      const stream = hub.open(fake).stream as Readable;
      let text = '';
      stream.on('data', (c: Buffer) => (text += c.toString()));
      return { text: () => text };
    });
    const got = () => clients.filter((c) => c.text().includes('event: job')).length;
    const { id: jobId } = s.manager.jobs.submit(customJob([{ name: 'a' }]));
    s.manager.observe.feed.poll();
    s.manager.jobActions.cancel(jobId);
    s.manager.observe.feed.poll();
    expect(got()).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(got()).toBe(CLIENTS_PER_TURN);
    await hub.flushed();
    expect(got()).toBe(clients.length);
    // Both batches, the first one first, for every client.
    for (const c of clients) expect([...c.text().matchAll(/event: job\ndata: [^\n]*?"status":"(\w+)"/g)].map((m) => m[1])).toEqual(['queued', 'canceled']);
    hub.close();
  });
});

describe('an event loop too busy to drain the outbox', () => {
  it('gets the outbox written at once when it holds more than a few batches per client', async () => {
    const s = await testServer();
    const hub = new EventStreamHub(s.manager.observe.feed);
    const fake = { headers: {} } as never;
    const texts = Array.from({ length: 3 }, () => {
      let text = '';
      (hub.open(fake).stream as Readable).on('data', (c: Buffer) => (text += c.toString()));
      return () => text;
    });
    const jobEvents = () => texts.map((t) => t().match(/event: job\n/g)?.length ?? 0);
    // Batch after batch in one turn, as polls would come to a loop that never gets to the outbox.
    for (let i = 0; i < 4; i++) {
      submitJob(s, [{ name: 'a' }]);
      s.manager.observe.feed.poll();
    }
    // (A tick lets the streams hand over what was pushed; the outbox's own turn comes later.)
    const tick = () => new Promise((r) => process.nextTick(r));
    await tick();
    expect(jobEvents()).toEqual([0, 0, 0]);
    submitJob(s, [{ name: 'a' }]);
    s.manager.observe.feed.poll();
    await tick();
    expect(jobEvents()).toEqual([5, 5, 5]);
    hub.close();
  });
});

describe('a client that does not keep up', () => {
  it('is sent "resync" and dropped once its buffer is full, while others and dispatch go on', async () => {
    const s = await testServer();
    const hub = new EventStreamHub(s.manager.observe.feed);
    const fake = { headers: {} } as never;
    // A stuck client: nobody reads its stream.
    const stuck = hub.open(fake).stream as Readable;
    // A reading client.
    const live = hub.open(fake).stream as Readable;
    let got = '';
    live.on('data', (c: Buffer) => (got += c.toString()));
    expect(hub.size).toBe(2);

    const { id: jobId } = s.manager.jobs.submit(customJob(Array.from({ length: 3000 }, (_, i) => ({ name: `t${i}` }))));
    s.manager.jobActions.cancel(jobId);
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/task')).status).toBe(204);
    s.manager.observe.feed.poll();
    await hub.flushed();

    expect(hub.size).toBe(1);
    expect(stuck.readableLength).toBeLessThan(CLIENT_BUFFER_LIMIT + 1024);
    let rest = '';
    for await (const c of stuck) rest += (c as Buffer).toString();
    expect(rest.trimEnd().split('\n\n').at(-1)).toMatch(/^id: \d+\nevent: resync\ndata: \{"reason":"the client did not keep up/);
    await new Promise((r) => setImmediate(r));
    expect(got.match(/event: task/g)?.length).toBe(3000);
    hub.close();
  });
});

describe('the events journal', () => {
  it('is pruned in steps, keeping what the webhook relay has not read', async () => {
    const tm = testManager();
    const { id } = tm.manager.jobs.submit(customJob(Array.from({ length: 6000 }, (_, i) => ({ name: `t${i}` }))));
    tm.manager.jobActions.cancel(id);
    const feed = tm.manager.observe.feed;
    feed.poll();
    expect(feed.position()).toBeGreaterThan(6000);
    expect(feed.prune(0)).toBe(0);
    tm.manager.observe.webhooks.relay();
    expect(feed.prune(0)).toBe(5000);
    expect(feed.prune(0)).toBe(feed.position() - 5000);
    expect(feed.prune(0)).toBe(0);
    // Ids go on from where they were: a client's Last-Event-ID never names another event.
    const before = feed.position();
    tm.manager.jobActions.delete(id);
    feed.poll();
    expect(feed.position()).toBe(before + 1);
  });
});
