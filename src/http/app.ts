// The manager's whole HTTP surface.
import type { Server } from 'node:http';
import type { Manager } from '../core/manager';
import { adminRoutes } from './admin-routes';
import { apiRoutes } from './api-routes';
import { observeRoutes } from './observe-routes';
import { createHttpServer } from './server';
import { v3Routes } from './v3-routes';
import { workerRoutes } from './worker-routes';

export function createManagerServer(m: Manager, adminToken: string): Server {
  const metrics = m.observe.metrics;
  return createHttpServer(
    [...workerRoutes(m), ...adminRoutes(m, adminToken), ...v3Routes(m), ...apiRoutes(m, adminToken), ...observeRoutes(m, adminToken)],
    m.log,
    () => m.batch.committed(),
    (method, route, status, seconds) => metrics.observeRequest(method, route, status, seconds),
  );
}
