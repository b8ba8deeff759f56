// trusted_networks: CIDR parsing and matching, IPv4, IPv6 and IPv4-mapped IPv6 addresses.
import { describe, expect, it } from 'vitest';
import { configFromJson, defaultConfig } from '../../../src/core/support/config';
import { ValidationError } from '../../../src/core/support/errors';
import { isTrusted, parseNetwork, parseNetworks } from '../../../src/core/support/networks';

describe('trusted networks', () => {
  const defaults = defaultConfig().trusted_networks;

  it.each([
    ['127.0.0.1', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.20', true],
    ['::ffff:192.168.1.20', true],
    ['169.254.10.1', true],
    ['fe80::1%eth0', true],
    ['fd12:3456::1', true],
    ['8.8.8.8', false],
    ['::ffff:8.8.8.8', false],
    ['2001:db8::1', false],
    ['', false],
    ['not-an-address', false],
  ])('by default %s trusted: %s', (addr, trusted) => {
    expect(isTrusted(addr, defaults)).toBe(trusted);
  });

  it('matches prefixes that do not end on a byte boundary', () => {
    const nets = parseNetworks(['203.0.113.64/26', '2001:db8:8000::/33']);
    expect(isTrusted('203.0.113.64', nets)).toBe(true);
    expect(isTrusted('203.0.113.127', nets)).toBe(true);
    expect(isTrusted('203.0.113.128', nets)).toBe(false);
    expect(isTrusted('2001:db8:8000::5', nets)).toBe(true);
    expect(isTrusted('2001:db8:7fff::5', nets)).toBe(false);
  });

  it('a bare address is one host; /0 is everything of its family', () => {
    expect(isTrusted('192.0.2.7', parseNetworks(['192.0.2.7']))).toBe(true);
    expect(isTrusted('192.0.2.8', parseNetworks(['192.0.2.7']))).toBe(false);
    expect(isTrusted('198.51.100.1', parseNetworks(['0.0.0.0/0']))).toBe(true);
    expect(isTrusted('2001:db8::1', parseNetworks(['0.0.0.0/0']))).toBe(false);
  });

  it.each(['10.0.0.0/33', '10.0.0/8', 'fe80::/129', 'host.example/8', '10.0.0.0/8/1', '10.0.0.0/x', ''])(
    'refuses %j with a message naming the key',
    (text) => {
      expect(() => parseNetwork(text)).toThrow(ValidationError);
      expect(() => parseNetwork(text)).toThrow(/trusted_networks/);
    },
  );

  it('the config key replaces the defaults; an empty list trusts nobody', () => {
    const cfg = configFromJson({ trusted_networks: ['10.0.0.0/8'] });
    expect(isTrusted('10.0.0.1', cfg.trusted_networks)).toBe(true);
    expect(isTrusted('127.0.0.1', cfg.trusted_networks)).toBe(false);
    expect(configFromJson({ trusted_networks: [] }).trusted_networks).toEqual([]);
    expect(() => configFromJson({ trusted_networks: '10.0.0.0/8' })).toThrow(/trusted_networks: must be a list/);
  });
});
