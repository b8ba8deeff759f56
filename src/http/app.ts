// The manager's whole HTTP surface.
import type { Server } from 'node:http';
import type { Manager } from '../core/manager';
import type { AdminTokenRef } from '../core/support/admin-token';
import { adminRoutes } from './admin-routes';
import { dashboardRoutes } from './dashboard-routes';
import { apiRoutes } from './api-routes';
import { EventStreamHub } from './events-stream';
import { observeRoutes } from './observe-routes';
import { createHttpServer } from './server';
import { v3Routes } from './v3-routes';
import { workerRoutes } from './worker-routes';

/** `adminToken`: the token, or serve's source of the current one (core/support/admin-token.ts). */
export function createManagerServer(m: Manager, adminToken: AdminTokenRef): Server {
  const metrics = m.observe.metrics;
  const events = new EventStreamHub(m.observe.feed);
  const server = createHttpServer(
    [...workerRoutes(m), ...adminRoutes(m, adminToken), ...v3Routes(m), ...apiRoutes(m, adminToken), ...observeRoutes(m, adminToken, events), ...dashboardRoutes()],
    m.log,
    {
      settled: () => m.batch.committed(),
      maxConnections: m.config.max_connections,
      observe: (method, route, status, seconds) => metrics.observeRequest(method, route, status, seconds),
    },
  );
  // Event streams never end by themselves: end them when the server stops taking connections,
  // or close() (and serve's drain, which announces itself with 'stopping') would wait for every
  // dashboard to go away.
  server.on('stopping', () => events.close());
  const close = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    events.close();
    return close(cb);
  };
  return server;
}
