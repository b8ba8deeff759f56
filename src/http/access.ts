// Who may read: requests from `trusted_networks` without a token (monitoring, the read-only
// dashboard), anyone else with the admin token. Changing anything always needs the token. A
// request that presents credentials is judged by them: wrong ones (a stale token, a worker's
// Basic credentials) are refused, not quietly treated as anonymous.
import type { IncomingMessage } from 'node:http';
import { isTrusted, type Network } from '../core/support/networks';
import { requireAdmin } from './admin-routes';

export function fromTrustedNetwork(req: IncomingMessage, networks: readonly Network[]): boolean {
  return isTrusted(req.socket.remoteAddress, networks);
}

/** Whether the request may read without a token: from a trusted network, presenting no credentials. */
export function anonymousReader(req: IncomingMessage, networks: readonly Network[]): boolean {
  return req.headers.authorization === undefined && fromTrustedNetwork(req, networks);
}

export function requireReader(req: IncomingMessage, networks: readonly Network[], token: string): void {
  if (!anonymousReader(req, networks)) requireAdmin(req, token);
}
