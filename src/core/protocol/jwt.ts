// Verification of the registration Bearer token: a JWT signed HS256/384/512 with the shared
// registration secret (Flamenco Worker sends HS256 with float exp/iat claims).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isPlainObject } from '../support/validate';
import { ownValue } from '../support/own';

const ALGS: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

function b64urlDecode(part: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) return undefined;
  return Buffer.from(part, 'base64url');
}

function parseJsonObject(buf: Buffer | undefined): Record<string, unknown> | undefined {
  if (!buf) return undefined;
  try {
    const v = JSON.parse(buf.toString('utf8')) as unknown;
    return isPlainObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** True when the token is well formed, correctly signed, and within exp/nbf (if present). */
export function verifyJwt(token: string, secret: string, nowMs: number, leewaySeconds = 30): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const header = parseJsonObject(b64urlDecode(parts[0]!));
  const payload = parseJsonObject(b64urlDecode(parts[1]!));
  const sig = b64urlDecode(parts[2]!);
  if (!header || !payload || !sig) return false;
  const alg = typeof header.alg === 'string' ? ownValue(ALGS, header.alg) : undefined;
  if (!alg) return false;
  const want = createHmac(alg, secret).update(`${parts[0]}.${parts[1]}`).digest();
  if (want.length !== sig.length || !timingSafeEqual(want, sig)) return false;
  const now = nowMs / 1000;
  if (payload.exp !== undefined && (typeof payload.exp !== 'number' || now > payload.exp + leewaySeconds)) return false;
  if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || now + leewaySeconds < payload.nbf)) return false;
  return true;
}
