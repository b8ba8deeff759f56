// Routes for monitoring: /healthz (anyone; it tells nothing about the farm but whether serve works).
import { checkHealth } from '../core/observe/health';
import type { Manager } from '../core/manager';
import type { Route } from './server';

export function observeRoutes(m: Manager): Route[] {
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
  ];
}
