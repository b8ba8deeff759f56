// The manager's whole HTTP surface.
import type { Server } from 'node:http';
import type { Manager } from '../core/manager';
import type { AdminTokenRef } from '../core/support/admin-token';
import { admitTokenless } from './access';
import { AdminAuth } from './admin-auth';
import { adminRoutes } from './admin-routes';
import { dashboardRoutes } from './dashboard-routes';
import { apiRoutes } from './api-routes';
import { EventStreamHub } from './events-stream';
import { observeRoutes } from './observe-routes';
import { createHttpServer, type Route } from './server';
import { v3Routes } from './v3-routes';
import { workerRoutes } from './worker-routes';
import { v3WorkerRoutes } from './v3-worker-routes';

/** `adminToken`: the token, or serve's source of the current one (core/support/admin-token.ts). */
export function createManagerServer(m: Manager, adminToken: AdminTokenRef): Server {
  const metrics = m.observe.metrics;
  const events = new EventStreamHub(m.observe.feed, {
    perAddress: () => m.config.max_event_streams_per_address,
    refused: (address, limit) => m.refusals.refused('event stream refused: max_event_streams_per_address open already', address, { limit }),
  });
  const auth = new AdminAuth(adminToken, m.clock, m.refusals);
  // Every route but the workers' (they authenticate every call, whatever manager_url they use),
  // /healthz and the dashboard's files (no farm data in either) first checks the admin token or,
  // without one, the Host the request was sent to (access.ts).
  const open = new Set(['/healthz']);
  const admitted = (routes: Route[]): Route[] =>
    routes.map((r) =>
      open.has(r.path)
        ? r
        : {
            ...r,
            guard: (req) => {
              admitTokenless(req, auth, m.config.server_names);
              return r.guard?.(req);
            },
          },
    );
  const server = createHttpServer(
    [
      ...workerRoutes(m),
      ...v3WorkerRoutes(m),
      ...admitted([...adminRoutes(m, auth), ...v3Routes(m), ...apiRoutes(m, auth), ...observeRoutes(m, auth, events)]),
      ...dashboardRoutes(),
    ],
    m.log,
    {
      settled: () => m.batch.pending(),
      maxConnections: m.config.max_connections,
      maxConnectionsPerAddress: () => m.config.max_connections_per_address,
      onAddressLimit: (address, limit) => m.refusals.refused('connection refused: max_connections_per_address open already', address, { limit }),
      observe: (method, route, status, seconds) => metrics.observeRequest(method, route, status, seconds),
      clock: m.clock,
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
