// Every error code has one class and one rule (HTTP status, exit code, Retry-After), and every
// side derives from that rule: serve's answer, the CLI's exit code, and the remote client, which
// turns the answer back into the same error.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../../../src/cli/client/remote';
import { DomainError, ERROR_RULES, type ErrorCode, errorFor, RateLimitedError } from '../../../src/core/support/errors';
import { replyFor } from '../../../src/http/errors';
import { describeError } from '../../../src/main';
import { ROOT } from '../../helpers/cli';

const CODES = Object.keys(ERROR_RULES) as ErrorCode[];
/** Answers only a Flamenco Worker gets (shared/protocol.md); /api never gives them. */
const WORKER_ONLY: ErrorCode[] = ['not_acceptable', 'unknown_worker', 'length_required'];

function srcFiles(dir = path.join(ROOT, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? srcFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('the error map', () => {
  it.each(CODES)('%s has a class of its own whose rule is its row of the table', (code) => {
    const err = errorFor(code, 'what went wrong', 3000);
    expect(err.code).toBe(code);
    expect(err.constructor).not.toBe(DomainError);
    expect(err.constructor.name).toMatch(/Error$/);
    expect(err.rule).toBe(ERROR_RULES[code]);
  });

  it.each(CODES)('%s is answered with its status and Retry-After, and exits the CLI with its code', (code) => {
    const rule: { status: number; exit: number; retryAfterMs?: number } = ERROR_RULES[code];
    const reply = replyFor(errorFor(code, 'what went wrong'));
    expect(reply.status).toBe(rule.status);
    expect(reply.body).toEqual({ error: { code, message: 'what went wrong' } });
    const retry = rule.retryAfterMs ?? (code === 'rate_limited' ? 1000 : undefined);
    expect(reply.headers?.['Retry-After']).toBe(retry === undefined ? undefined : String(retry / 1000));
    expect(describeError(errorFor(code, 'what went wrong'))).toEqual({ code: rule.exit, message: 'what went wrong' });
  });

  it.each(CODES.filter((c) => c !== 'unauthorized'))('%s answered by a remote manager is the same error for the remote client', async (code) => {
    const reply = replyFor(errorFor(code, 'what went wrong', 7000));
    const res = new Response(JSON.stringify(reply.body), { status: reply.status, headers: reply.headers });
    const err = await errorOf(res);
    expect(err.constructor).toBe(errorFor(code, '').constructor);
    expect(err.message).toBe('what went wrong');
    expect(describeError(err).code).toBe(ERROR_RULES[code].exit);
  });

  it('a rate limit keeps its own wait on both sides', async () => {
    const reply = replyFor(new RateLimitedError('slow down', 42_000));
    expect(reply.headers?.['Retry-After']).toBe('42');
    const err = await errorOf(new Response(JSON.stringify(reply.body), { status: reply.status, headers: reply.headers }));
    expect((err as RateLimitedError).retryAfterMs).toBe(42_000);
  });

  it('every code the admin API can answer is documented in docs/api.md', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
    const missing = CODES.filter((c) => !WORKER_ONLY.includes(c) && !doc.includes(`| ${ERROR_RULES[c].status} | \`${c}\` |`));
    expect(missing).toEqual([]);
  });

  it('no other file writes an error status, an error body or a Retry-After of its own', () => {
    const own = new Set(['src/http/errors.ts', 'src/http/reply.ts', 'src/core/support/errors.ts']);
    const found: string[] = [];
    for (const file of srcFiles()) {
      const rel = path.relative(ROOT, file);
      if (own.has(rel)) continue;
      const text = readFileSync(file, 'utf8');
      for (const [what, re] of [
        ['errorReply', /\berrorReply\(/],
        ['Retry-After', /['"]Retry-After['"]/],
        // 423 is how the worker protocol asks a worker to change its status, not an error.
        ['a status of 4xx/5xx', /\bstatus: (?!423)[45]\d\d\b|json\([^)]*,\s*(?!423)[45]\d\d\)/],
        ['a DomainError made by hand', /new DomainError\(/],
      ] as const) {
        if (re.test(text)) found.push(`${rel}: ${what}`);
      }
    }
    expect(found).toEqual([]);
  });
});
