// Who may read: requests from `trusted_networks` without a token (monitoring, the read-only
// dashboard), anyone else with the admin token. Changing anything always needs the token. A
// request that presents credentials is judged by them: wrong ones (a stale token, a worker's
// Basic credentials) are refused, not quietly treated as anonymous.
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors';
import { isTrusted, type Network } from '../core/support/networks';
import { requireAdmin } from './admin-routes';
import type { AdminTokenRef } from '../core/support/admin-token';

export function fromTrustedNetwork(req: IncomingMessage, networks: readonly Network[]): boolean {
  return isTrusted(req.socket.remoteAddress, networks);
}

/** Whether the request may read without a token: from a trusted network, presenting no credentials. */
export function anonymousReader(req: IncomingMessage, networks: readonly Network[]): boolean {
  return req.headers.authorization === undefined && fromTrustedNetwork(req, networks);
}

export function requireReader(req: IncomingMessage, networks: readonly Network[], token: AdminTokenRef): void {
  if (!anonymousReader(req, networks)) requireAdmin(req, token);
}

/**
 * For a change that needs no token because of where it comes from (the Blender add-on's job
 * submission from trusted networks): a browser on that network must not be made to send it by
 * another site. A web page can send a cross-site POST without asking only with a form's content
 * types, so JSON is required (anything else would need the browser to ask first, and serve never
 * allows it); and a request a browser marks as coming from another site is refused. The add-on
 * sends JSON and no Origin.
 */
export function refuseCrossSite(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'unsupported_media_type', 'the request body must be JSON (Content-Type: application/json)');
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  const crossOrigin = origin !== undefined && origin !== 'null' && hostOf(origin) !== (req.headers.host ?? '').toLowerCase();
  if ((site !== undefined && site !== 'same-origin' && site !== 'none') || origin === 'null' || crossOrigin) {
    throw new HttpError(403, 'forbidden', 'requests made by pages of another site are refused');
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}
