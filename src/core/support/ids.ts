// Ids are ObjectID-shaped (24 lowercase hex): 4 bytes of seconds since the epoch, then 5 bytes
// random per generator and a 3-byte counter. That is what Flamenco Worker 2.x expects.
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock';

export type IdGenerator = () => string;

const ID_RE = /^[0-9a-f]{24}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_RE.test(value);
}

export function objectIdGenerator(clock: Clock, random: Buffer = randomBytes(8)): IdGenerator {
  const prefix = random.subarray(0, 5).toString('hex');
  let counter = random.readUIntBE(5, 3);
  return () => {
    const seconds = Math.floor(clock.now() / 1000) >>> 0;
    counter = (counter + 1) & 0xffffff;
    return seconds.toString(16).padStart(8, '0') + prefix + counter.toString(16).padStart(6, '0');
  };
}
