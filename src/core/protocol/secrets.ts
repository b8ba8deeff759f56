// Worker secrets are stored only as salted scrypt hashes. Verifying scrypt costs milliseconds, so
// a successful check is remembered in memory as a keyed fast digest: a steady poll then costs one
// SHA-256 and a constant-time compare.
//
// The cost parameters fit what is hashed: a Flamenco Worker makes up its own secret of 64 random
// letters and digits (about 380 bits), which no amount of key stretching could make safer, and the
// protocol refuses secrets under 16 characters. What the cost does decide is how a large farm
// comes back after a restart, when every worker's first request needs one verification, and how
// much memory serve keeps: scrypt's block is 128 * r * N bytes per verification under way, and
// the C allocator keeps one such block per thread-pool thread once it has been used. N = 2^11,
// r = 8: 2 MiB and about 5 ms each (10 000 workers: under a minute on two cores). With N = 2^14
// (16 MiB, 30–45 ms) the same restart takes five minutes and serve keeps 64 MB more.
// Hashes store their parameters, so older ones still verify and are rewritten on the next login.
import { hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2048;
const R = 8;
const P = 1;
const KEYLEN = 32;

function scryptAsync(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEYLEN, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** "scrypt$N$r$p$salt$hash" (base64 salt and hash). */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * A stored value no secret matches, with today's parameters: credentials naming an unknown worker
 * are checked against it, so that they cost as long as a wrong secret for a known worker and an
 * attacker cannot tell which ids exist.
 */
export const UNMATCHABLE_HASH = `scrypt$${N}$${R}$${P}$${randomBytes(16).toString('base64')}$${randomBytes(KEYLEN).toString('base64')}`;

/** True when a stored hash was made with other parameters than new hashes get. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(`scrypt$${N}$${R}$${P}$`);
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4]!, 'base64');
  const want = Buffer.from(parts[5]!, 'base64');
  const got = await scryptAsync(secret, salt, n, r, p);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Remembers which (worker, secret) pairs were verified, without keeping the secrets. */
export class VerifiedSecretCache {
  private readonly key = randomBytes(32).toString('hex');
  private readonly digests = new Map<string, { digest: Buffer; stored: string }>();

  private digest(secret: string): Buffer {
    // One-shot hash of a random per-process prefix and the secret: an HMAC costs several times
    // more per call (key object set-up) and only equality is ever asked of this digest.
    return hash('sha256', this.key + secret, 'buffer');
  }

  /** True when this secret was verified before against this very stored hash. */
  check(workerId: string, secret: string, stored: string): boolean {
    const hit = this.digests.get(workerId);
    if (!hit || hit.stored !== stored) return false;
    return timingSafeEqual(hit.digest, this.digest(secret));
  }

  remember(workerId: string, secret: string, stored: string): void {
    this.digests.set(workerId, { digest: this.digest(secret), stored });
  }

  forget(workerId: string): void {
    this.digests.delete(workerId);
  }
}
