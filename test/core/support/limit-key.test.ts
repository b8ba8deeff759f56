// Per-address limits count an IPv6 client by its /64: a host picks its own addresses within it,
// so counting each address let one host sidestep every per-address limit.
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../../src/core/support/errors';
import { limitKey } from '../../../src/core/support/networks';
import { REGISTRATIONS_PER_ADDRESS } from '../../../src/core/protocol/registration-limits';
import { TOKENLESS_SUBMISSIONS_PER_WINDOW } from '../../../src/core/support/limits';
import { addressKey } from '../../../src/http/address-limits';
import { testManager } from '../../helpers/env';

describe('the key of per-address limits', () => {
  it("is the IPv4 address, also IPv4-mapped, and an IPv6 address's /64", () => {
    expect(limitKey('127.0.0.2')).toBe('127.0.0.2');
    expect(limitKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(limitKey('::1')).toBe('::1');
    expect(limitKey('fd00::1')).toBe('fd00:0:0:0::/64');
    expect(limitKey('fd00::a:b:c:d')).toBe('fd00:0:0:0::/64');
    expect(limitKey('fd00:0:0:1::5')).toBe('fd00:0:0:1::/64');
    expect(limitKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(limitKey(undefined)).toBe('');
  });

  it('is what connections and event streams are counted by', () => {
    expect(addressKey('fd00::1')).toBe(addressKey('fd00::2'));
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  });

  it('bounds tokenless submissions per /64, not per address', () => {
    const { manager } = testManager();
    for (let i = 0; i < TOKENLESS_SUBMISSIONS_PER_WINDOW; i++) manager.submissionLimits.take(`fd00::${i + 1}`);
    expect(() => manager.submissionLimits.take('fd00::ffff')).toThrow(/too many submissions from fd00:0:0:0::\/64/);
    manager.submissionLimits.take('fd00:0:0:1::1');
    manager.submissionLimits.take('192.0.2.7');
  });

  it('bounds open registrations per /64, not per address', async () => {
    const { manager } = testManager();
    const reg = (i: number) =>
      manager.workers.register(
        { secret: `secret-${i}-0123456789abcdef`, platform: 'linux', nickname: `n${i}`, supported_task_types: ['sleep'] },
        { address: `fd00::${i + 1}`, software: '' },
        { open: true },
      );
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS; i++) await reg(i);
    await expect(reg(REGISTRATIONS_PER_ADDRESS)).rejects.toBeInstanceOf(RateLimitedError);
    // Another network is another client.
    await manager.workers.register(
      { secret: 'secret-x-0123456789abcdef', platform: 'linux', nickname: 'x', supported_task_types: ['sleep'] },
      { address: 'fd00:0:0:1::1', software: '' },
      { open: true },
    );
  });
});
