// Worker secrets: scrypt hashes with their parameters, verification of older hashes, and the
// rewrite of an older hash on the next successful login.
import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashSecret, needsRehash, verifySecret } from '../../../src/core/protocol/secrets';
import { testManager } from '../../helpers/env';
import { addWorker, loginAs, WORKER_SECRET, workerRec } from '../../helpers/domain';

const SECRET = 'a-secret-of-more-than-sixteen-characters';

/** A hash as an older version stored it: N = 2^14, r = 8. */
function olderHash(secret: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(secret, salt, 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return `scrypt$16384$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

describe('worker secrets', () => {
  it('hash with a fresh salt and the current parameters, and verify only the right secret', async () => {
    const a = await hashSecret(SECRET);
    const b = await hashSecret(SECRET);
    expect(a).toMatch(/^scrypt\$2048\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b);
    expect(needsRehash(a)).toBe(false);
    expect(await verifySecret(SECRET, a)).toBe(true);
    expect(await verifySecret(`${SECRET}x`, a)).toBe(false);
  });

  it('verify hashes made with other parameters, which need a rewrite', async () => {
    const old = olderHash(SECRET);
    expect(await verifySecret(SECRET, old)).toBe(true);
    expect(await verifySecret('another-secret-of-some-length', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
  });

  it('refuse stored values that are not scrypt hashes', async () => {
    for (const stored of ['', 'plain', 'scrypt$1$2$3', `bcrypt$2048$8$1$${'A'.repeat(24)}$${'A'.repeat(44)}`]) {
      expect(await verifySecret(SECRET, stored), stored).toBe(false);
    }
  });

  it('an older hash is rewritten with the current parameters at the next login, and keeps working', async () => {
    const tm = testManager();
    const id = await addWorker(tm);
    tm.manager.repos.workers.setSecretHash(id, olderHash(WORKER_SECRET));
    expect(await loginAs(tm, id, 'the-wrong-secret-entirely')).toBeUndefined();
    expect(needsRehash(workerRec(tm, id).secret_hash)).toBe(true);

    expect((await loginAs(tm, id, WORKER_SECRET))?.id).toBe(id);
    const stored = workerRec(tm, id).secret_hash;
    expect(needsRehash(stored)).toBe(false);
    expect(await verifySecret(WORKER_SECRET, stored)).toBe(true);
    expect((await loginAs(tm, id, WORKER_SECRET))?.id).toBe(id);
  });

  it('a worker asking again while its secret is being verified joins that verification', async () => {
    const tm = testManager();
    const id = await addWorker(tm);
    const workers = tm.manager.workers;
    const first = loginAs(tm, id, WORKER_SECRET);
    const again = loginAs(tm, id, WORKER_SECRET);
    const wrong = loginAs(tm, id, 'not-the-secret-of-this-worker');
    expect(workers.verificationsUnderWay()).toBe(2); // the right secret once, the wrong one once
    expect((await first)?.id).toBe(id);
    expect((await again)?.id).toBe(id);
    expect(await wrong).toBeUndefined();
    expect(workers.verificationsUnderWay()).toBe(0);
  });
});
