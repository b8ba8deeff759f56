// Who may read: requests from `trusted_networks` without a token (monitoring, the read-only
// dashboard), anyone else with the admin token. Changing anything always needs the token.
import type { IncomingMessage } from 'node:http';
import { isTrusted, type Network } from '../core/support/networks';
import { requireAdmin } from './admin-routes';

export function fromTrustedNetwork(req: IncomingMessage, networks: readonly Network[]): boolean {
  return isTrusted(req.socket.remoteAddress, networks);
}

export function requireReader(req: IncomingMessage, networks: readonly Network[], token: string): void {
  if (!fromTrustedNetwork(req, networks)) requireAdmin(req, token);
}
