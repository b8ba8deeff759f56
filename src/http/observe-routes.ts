// Routes for monitoring: /healthz (anyone; it tells nothing about the farm but whether serve
// works); /metrics and the events stream (trusted networks, or the admin token).
import { checkHealth } from '../core/observe/health';
import type { Manager } from '../core/manager';
import { requireReader } from './access';
import { EventStreamHub } from './events-stream';
import type { Route } from './server';

/** The content type Prometheus expects for the text exposition format. */
const EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8';

export function observeRoutes(m: Manager, token: string, hub: EventStreamHub): Route[] {
  const reader = (req: Parameters<typeof requireReader>[0]) => requireReader(req, m.config.trusted_networks, token);
  return [
    {
      methods: ['GET'],
      path: '/healthz',
      handler: async () => {
        const h = await checkHealth({ repos: m.repos, batch: m.batch, timers: m.timers, clock: m.clock });
        return {
          status: h.ok ? 200 : 503,
          body: h.ok ? { status: 'ok' } : { status: 'unhealthy', problems: h.problems },
          headers: { 'Cache-Control': 'no-store' },
        };
      },
    },
    { methods: ['GET'], path: '/api/events', guard: reader, handler: (ctx) => hub.open(ctx.req) },
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
