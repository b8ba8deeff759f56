// The dashboard's files: a strict Content-Security-Policy, no inline script, revalidation.
import { describe, expect, it } from 'vitest';
import { request, testServer } from '../helpers/env';

describe('the dashboard files', () => {
  it('are served under a CSP that allows no inline script, no other origin and no framing', async () => {
    const s = await testServer();
    const page = await request(s.url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    // Every script is a file; no event-handler attributes.
    expect(page.text.match(/<script[^>]*>/g)).toEqual(['<script src="/dashboard/app.js" defer>']);
    expect(page.text).not.toMatch(/<script[^>]*>[^<]+<\/script>/);
    expect(page.text).not.toMatch(/\son[a-z]+=/i);

    const js = await request(s.url, 'GET', '/dashboard/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.text).not.toContain('innerHTML');
    expect((await request(s.url, 'GET', '/dashboard/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    const again = await request(s.url, 'GET', '/dashboard/app.js', { headers: { 'If-None-Match': js.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });
});
