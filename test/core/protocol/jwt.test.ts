// The registration Bearer token: HS256/384/512, signature, exp and nbf.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyJwt } from '../../../src/core/protocol/jwt';

const SECRET = 'registration-secret';
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const nowS = NOW / 1000;

function b64(v: unknown): string {
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
}

function sign(payload: unknown, opts: { alg?: string; secret?: string; header?: unknown } = {}): string {
  const alg = opts.alg ?? 'HS256';
  const head = b64(opts.header ?? { alg, typ: 'JWT' });
  const body = b64(payload);
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256';
  const sig = createHmac(hash, opts.secret ?? SECRET)
    .update(`${head}.${body}`)
    .digest('base64url');
  return `${head}.${body}.${sig}`;
}

describe('verifyJwt', () => {
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    it(`accepts a token signed ${alg}`, () => {
      expect(verifyJwt(sign({ iat: nowS }, { alg }), SECRET, NOW)).toBe(true);
    });
  }

  it('accepts the float exp/iat claims the Python worker sends', () => {
    expect(verifyJwt(sign({ iat: nowS - 0.25, exp: nowS + 3600.5 }), SECRET, NOW)).toBe(true);
  });

  it('refuses a token signed with another secret', () => {
    expect(verifyJwt(sign({ iat: nowS }, { secret: 'other' }), SECRET, NOW)).toBe(false);
  });

  it('refuses a token whose payload was changed after signing', () => {
    const [h, , s] = sign({ sub: 'a' }).split('.');
    expect(verifyJwt(`${h}.${b64({ sub: 'b' })}.${s}`, SECRET, NOW)).toBe(false);
  });

  it('refuses a token signed with one algorithm but labelled with another', () => {
    const t = sign({ iat: nowS }, { alg: 'HS512' }).split('.');
    expect(verifyJwt(`${b64({ alg: 'HS256' })}.${t[1]}.${t[2]}`, SECRET, NOW)).toBe(false);
  });

  it('refuses an expired token, allowing 30 s of clock skew', () => {
    expect(verifyJwt(sign({ exp: nowS - 3600 }), SECRET, NOW)).toBe(false);
    expect(verifyJwt(sign({ exp: nowS - 31 }), SECRET, NOW)).toBe(false);
    expect(verifyJwt(sign({ exp: nowS - 10 }), SECRET, NOW)).toBe(true);
  });

  it('refuses a token that is not valid yet (nbf)', () => {
    expect(verifyJwt(sign({ nbf: nowS + 3600 }), SECRET, NOW)).toBe(false);
    expect(verifyJwt(sign({ nbf: nowS + 10 }), SECRET, NOW)).toBe(true);
    expect(verifyJwt(sign({ nbf: nowS - 10 }), SECRET, NOW)).toBe(true);
  });

  it('refuses exp or nbf that are not numbers', () => {
    expect(verifyJwt(sign({ exp: 'tomorrow' }), SECRET, NOW)).toBe(false);
    expect(verifyJwt(sign({ nbf: null }), SECRET, NOW)).toBe(false);
  });

  it('refuses unsigned and unsupported algorithms', () => {
    const body = b64({ iat: nowS });
    expect(verifyJwt(`${b64({ alg: 'none' })}.${body}.`, SECRET, NOW)).toBe(false);
    expect(verifyJwt(sign({ iat: nowS }, { header: { alg: 'RS256' } }), SECRET, NOW)).toBe(false);
    expect(verifyJwt(sign({ iat: nowS }, { header: { typ: 'JWT' } }), SECRET, NOW)).toBe(false);
  });

  for (const [what, token] of [
    ['an empty string', ''],
    ['one part', 'abc'],
    ['two parts', 'abc.def'],
    ['four parts', 'a.b.c.d'],
    ['non-base64url characters', 'a+b.c/d.e=f'],
    ['a header that is not JSON', `${b64('not json')}.${b64({})}.abc`],
    ['a payload that is an array', sign([1, 2])],
    ['a payload that is a string', sign('"hello"')],
    ['a random string with dots', '...'],
  ] as const) {
    it(`refuses garbage: ${what}`, () => {
      expect(verifyJwt(token, SECRET, NOW)).toBe(false);
    });
  }
});

describe('verifyJwt with hostile algorithm names', () => {
  // ALGS[header.alg] once found Object.prototype's members: "constructor" reached createHmac and threw.
  for (const alg of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    it(`refuses "alg": ${JSON.stringify(alg)} without throwing`, () => {
      expect(verifyJwt(sign({ iat: nowS }, { header: { alg, typ: 'JWT' } }), SECRET, NOW)).toBe(false);
    });
  }
});
