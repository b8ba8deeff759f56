// The dashboard at /: a page, one script and one style sheet, under a Content-Security-Policy
// that allows no inline script, no other origin and no framing. The page holds no farm data;
// what it shows comes from the API, under the API's rules.
import { createHash } from 'node:crypto';
import { dashboardFiles } from './dashboard-assets';
import type { Reply } from './reply';
import type { RequestCtx, Route } from './server';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface File {
  type: string;
  body: Buffer;
  etag: string;
}

let files: Record<string, File> | undefined;

function load(): Record<string, File> {
  const f = dashboardFiles();
  const file = (type: string, text: string): File => {
    const body = Buffer.from(text, 'utf8');
    return { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
  };
  return {
    '/': file('text/html; charset=utf-8', f.html),
    '/dashboard/app.js': file('text/javascript; charset=utf-8', f.js),
    '/dashboard/app.css': file('text/css; charset=utf-8', f.css),
    '/dashboard/icon.svg': file('image/svg+xml', f.icon),
  };
}

function serve(path: string, ctx: RequestCtx): Reply {
  files ??= load();
  const f = files[path]!;
  const headers = {
    'Content-Security-Policy': DASHBOARD_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    // Revalidated on every load: a new serve version is picked up at once.
    'Cache-Control': 'no-cache',
    ETag: f.etag,
  };
  if (ctx.req.headers['if-none-match'] === f.etag) return { status: 304, headers };
  return { status: 200, body: f.body, headers: { ...headers, 'Content-Type': f.type } };
}

export function dashboardRoutes(): Route[] {
  return ['/', '/dashboard/app.js', '/dashboard/app.css', '/dashboard/icon.svg'].map((path) => ({ methods: ['GET'], path, handler: (ctx: RequestCtx) => serve(path, ctx) }));
}
