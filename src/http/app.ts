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
  return createHttpServer([...workerRoutes(m), ...adminRoutes(m, adminToken), ...v3Routes(m), ...apiRoutes(m, adminToken), ...observeRoutes(m)], m.log, () => m.batch.committed());
}
