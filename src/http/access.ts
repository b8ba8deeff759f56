// Who may read: requests from `trusted_networks` without a token (monitoring, the read-only
// dashboard), anyone else with the admin token. Changing anything always needs the token. A
// request that presents credentials is judged by them: wrong ones (a stale token, a worker's
// Basic credentials) are refused, not quietly treated as anonymous.
//
// What a request without a token must also show: that it was addressed to this manager. A page
// of another site can make a browser on a trusted network send requests to the manager by
// rebinding its own name to the manager's address (DNS rebinding); the browser then sends that
// name as Host and counts the manager as the page's own site. So tokenless requests are answered
// only when Host is an IP address, localhost, one of the machine's names, or a name listed in
// `server_names`: a name an attacker controls is none of those.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { ForbiddenError, MisdirectedRequestError, UnsupportedMediaTypeError } from '../core/support/errors';
import { isTrusted, type Network } from '../core/support/networks';
import type { AdminAuth } from './admin-auth';
import { machineNames } from './host-names';

export function fromTrustedNetwork(req: IncomingMessage, networks: readonly Network[]): boolean {
  return isTrusted(req.socket.remoteAddress, networks);
}

/** Whether the request may read without a token: from a trusted network, presenting no credentials. */
export function anonymousReader(req: IncomingMessage, networks: readonly Network[]): boolean {
  return req.headers.authorization === undefined && fromTrustedNetwork(req, networks);
}

export function requireReader(req: IncomingMessage, networks: readonly Network[], auth: AdminAuth): void {
  if (!anonymousReader(req, networks)) auth.require(req);
}

/** The host part of a Host header ("[::1]:8080" → "::1", "Render-Mgr.:8080" → "render-mgr"); undefined if malformed. */
export function hostOfHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const h = header.trim().toLowerCase();
  const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h) ?? /^([^:[\]]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1]!.replace(/\.$/, '') : undefined;
}

/** Whether a Host header names this manager: an IP literal, localhost, the machine's names, or `server_names`. */
export function hostIsOurs(header: string | undefined, serverNames: readonly string[]): boolean {
  const host = hostOfHeader(header);
  if (host === undefined || host === '') return false;
  return isIP(host) !== 0 || machineNames().has(host) || serverNames.includes(host);
}

/**
 * Runs before every route except the worker protocol's (workers authenticate every call and use
 * whatever manager_url they were given), /healthz and the dashboard's own files (they hold no farm
 * data): a request with the admin token passes, one with wrong credentials is refused (and
 * counted), one without needs a Host that names this manager (421 otherwise).
 */
export function admitTokenless(req: IncomingMessage, auth: AdminAuth, serverNames: readonly string[]): void {
  if (auth.presents(req)) return;
  if (hostIsOurs(req.headers.host, serverNames)) return;
  const shown = (req.headers.host ?? '').slice(0, 100);
  throw new MisdirectedRequestError(
    `this manager does not answer requests without the admin token addressed to "${shown}"; use its IP address or host name, ` +
      'or add the name to "server_names" in the manager\'s config (for a DNS alias the studio uses for it)',
  );
}

/**
 * For a change that needs no token because of where it comes from (the Blender add-on's job
 * submission from trusted networks): a browser on that network must not be made to send it by
 * another site. A web page can send a cross-site POST without asking only with a form's content
 * types, so JSON is required (anything else would need the browser to ask first, and serve never
 * allows it); and a request a browser marks as coming from another site is refused: an Origin
 * other than the Host it was sent to (which admitTokenless checked is ours), or
 * Sec-Fetch-Site other than same-origin or none. The add-on sends JSON and no Origin.
 */
export function refuseCrossSite(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new UnsupportedMediaTypeError('the request body must be JSON (Content-Type: application/json)');
  const site = req.headers['sec-fetch-site'];
  const origin = req.headers.origin;
  const crossOrigin = origin !== undefined && origin !== 'null' && originHost(origin) !== (req.headers.host ?? '').toLowerCase();
  if ((site !== undefined && site !== 'same-origin' && site !== 'none') || origin === 'null' || crossOrigin) {
    throw new ForbiddenError('requests made by pages of another site are refused');
  }
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}
