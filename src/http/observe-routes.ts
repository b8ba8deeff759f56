// Routes for monitoring: /healthz (anyone; it tells nothing about the farm but whether serve
// works); /metrics, the events stream and the last-rendered images (trusted networks, or the
// admin token).
import type { IncomingMessage } from 'node:http';
import type { Manager } from '../core/manager';
import { ValidationError } from '../core/support/errors';
import { anonymousReader, requireReader } from './access';
import type { AdminAuth } from './admin-auth';
import { coalesceParam, type EventStreamHub } from './events-stream';
import type { Reply } from './reply';
import type { Route } from './server';

/**
 * The image itself, or JSON saying which path was reported and why it cannot be shown. The image
 * carries an ETag that changes with the file, and may be kept by the browser if it asks again
 * each time (no-cache): a dashboard asking again gets 304 without the bytes until it changes.
 */
async function lastRendered(m: Manager, req: IncomingMessage, jobId?: string): Promise<Reply> {
  const p = await m.observe.lastRendered.open(jobId);
  if (!('handle' in p)) return { status: 200, body: p, headers: { 'Cache-Control': 'no-store' } };
  const etag = `"${p.version}"`;
  const cache = { ETag: etag, 'Cache-Control': 'private, no-cache' };
  if (matches(req.headers['if-none-match'], etag)) {
    await p.handle.close();
    return { status: 304, headers: cache };
  }
  return {
    status: 200,
    headers: {
      ...cache,
      'Content-Type': p.contentType,
      'Content-Length': String(p.size),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'",
    },
    // Exactly the bytes measured: a file still being written cannot make the body longer than its Content-Length.
    stream: p.handle.createReadStream({ start: 0, end: p.size - 1 }),
  };
}

/** Whether an If-None-Match header names this ETag (or is "*"). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === etag || v === '*';
  });
}

/** The content type Prometheus expects for the text exposition format. */
const EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8';

export function observeRoutes(m: Manager, auth: AdminAuth, hub: EventStreamHub): Route[] {
  const reader = (req: Parameters<typeof requireReader>[0]) => requireReader(req, m.config.trusted_networks, auth);
  return [
    {
      methods: ['GET'],
      path: '/healthz',
      handler: async () => {
        const h = await m.health();
        return {
          status: h.ok ? 200 : 503,
          body: h.ok ? { status: 'ok' } : { status: 'unhealthy', problems: h.problems },
          headers: { 'Cache-Control': 'no-store' },
        };
      },
    },
    { methods: ['GET'], path: '/api/events', guard: reader, handler: (ctx) => hub.open(ctx.req, coalesceParam(ctx.url.searchParams.get('coalesce'))) },
    { methods: ['GET'], path: '/api/farm', guard: reader, handler: () => ({ status: 200, body: m.observe.farm.summary(m.observe.feed.position()) }) },
    {
      // What this request may do: the dashboard asks before it shows data or a login form.
      methods: ['GET'],
      path: '/api/access',
      handler: (ctx) => {
        // Wrong credentials were refused before (a 401 the dashboard shows as such).
        const admin = auth.presents(ctx.req);
        return { status: 200, body: { read: admin || anonymousReader(ctx.req, m.config.trusted_networks), admin }, headers: { 'Cache-Control': 'no-store' } };
      },
    },
    {
      methods: ['GET'],
      path: '/api/webhooks',
      // Receiver URLs may carry credentials of their own: admins only.
      guard: (req) => auth.require(req),
      handler: (ctx) => {
        const text = ctx.url.searchParams.get('limit') ?? '50';
        if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > 1000) throw new ValidationError('limit: must be a whole number from 1 to 1000');
        return { status: 200, body: m.observe.webhooks.recent(Number(text)) };
      },
    },
    { methods: ['GET'], path: '/api/last-rendered', guard: reader, handler: (ctx) => lastRendered(m, ctx.req) },
    // The job, frame and time of that image, for its caption.
    { methods: ['GET'], path: '/api/last-rendered/info', guard: reader, handler: async () => ({ status: 200, body: await m.observe.lastRendered.info() }) },
    {
      methods: ['GET'],
      path: '/api/jobs/:id/last-rendered/info',
      guard: reader,
      handler: async (ctx) => ({ status: 200, body: await m.observe.lastRendered.info(m.names.job(ctx.params.id!)) }),
    },
    { methods: ['GET'], path: '/api/jobs/:id/last-rendered', guard: reader, handler: (ctx) => lastRendered(m, ctx.req, ctx.params.id!) },
    {
      methods: ['GET'],
      path: '/metrics',
      guard: reader,
      handler: () => {
        // Counters follow the events journal: read it up to now, so that a scrape is exact.
        m.observe.feed.poll();
        return { status: 200, body: m.observe.metrics.render(), headers: { 'Content-Type': EXPOSITION, 'Cache-Control': 'no-store' } };
      },
    },
  ];
}
