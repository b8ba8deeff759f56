// trusted_networks: CIDR parsing and matching, IPv4, IPv6 and IPv4-mapped IPv6 addresses.
import { describe, expect, it } from 'vitest';
import { configFromJson, defaultConfig } from '../../../src/core/support/config';
import { ValidationError } from '../../../src/core/support/errors';
import { defaultTrustedNetworks, isTrusted, parseNetwork, parseNetworks } from '../../../src/core/support/networks';

/** What os.networkInterfaces() reports on a manager with one wired interface. */
const INTERFACES = {
  lo: [
    { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' },
    { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 },
  ],
  eth0: [
    { address: '192.168.1.20', netmask: '255.255.255.0', family: 'IPv4', mac: '52:54:00:12:34:56', internal: false, cidr: '192.168.1.20/24' },
    {
      address: 'fe80::5054:ff:fe12:3456',
      netmask: 'ffff:ffff:ffff:ffff::',
      family: 'IPv6',
      mac: '52:54:00:12:34:56',
      internal: false,
      cidr: 'fe80::5054:ff:fe12:3456/64',
      scopeid: 2,
    },
    { address: '2001:db8:0:7::20', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '52:54:00:12:34:56', internal: false, cidr: '2001:db8:0:7::20/64', scopeid: 0 },
  ],
} as const;

describe('trusted networks', () => {
  const defaults = parseNetworks(defaultTrustedNetworks(INTERFACES as never));

  it("are by default loopback and the networks of the manager's own interfaces", () => {
    expect(defaultTrustedNetworks(INTERFACES as never)).toEqual(['127.0.0.0/8', '::1/128', '192.168.1.0/24', 'fe80::/64', '2001:db8:0:7::/64']);
    // The config's default is this machine's.
    expect(defaultConfig().trusted_networks.map((n) => n.text)).toEqual(defaultTrustedNetworks());
  });

  it.each([
    ['127.0.0.1', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['192.168.1.31', true],
    ['::ffff:192.168.1.31', true],
    ['fe80::1%eth0', true],
    ['2001:db8:0:7::99', true],
    // Other private ranges (a guest Wi-Fi, another department) are not trusted by default.
    ['192.168.2.5', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['169.254.10.1', false],
    ['fd12:3456::1', false],
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

  it.each(['10.0.0.0/33', '10.0.0/8', 'fe80::/129', 'host.example/8', '10.0.0.0/8/1', '10.0.0.0/x', ''])('refuses %j with a message naming the key', (text) => {
    expect(() => parseNetwork(text)).toThrow(ValidationError);
    expect(() => parseNetwork(text)).toThrow(/trusted_networks/);
  });

  it('the config key replaces the defaults; an empty list trusts nobody', () => {
    const cfg = configFromJson({ trusted_networks: ['10.0.0.0/8'] });
    expect(isTrusted('10.0.0.1', cfg.trusted_networks)).toBe(true);
    expect(isTrusted('127.0.0.1', cfg.trusted_networks)).toBe(false);
    expect(configFromJson({ trusted_networks: [] }).trusted_networks).toEqual([]);
    expect(() => configFromJson({ trusted_networks: '10.0.0.0/8' })).toThrow(/trusted_networks: must be a list/);
  });
});
