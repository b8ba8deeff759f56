// Trusted networks: the addresses whose requests are accepted without a token by the routes that
// cannot carry one (the Blender add-on's /api/v3, /metrics, the read-only dashboard). Config key
// `trusted_networks`, a list of CIDRs; IPv4-mapped IPv6 addresses count as their IPv4 address.
import { isIPv4, isIPv6 } from 'node:net';
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { ValidationError } from './errors';

export const LOOPBACK_NETWORKS: readonly string[] = ['127.0.0.0/8', '::1/128'];

/**
 * The default `trusted_networks`: loopback plus the networks of the manager's own interfaces
 * (each address with its netmask, as the system reports them when serve starts). Not every
 * private range: a guest Wi-Fi or another department's network is private too, and those may
 * submit jobs without a token only when the config says so.
 */
export function defaultTrustedNetworks(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  const out = [...LOOPBACK_NETWORKS];
  for (const addrs of Object.values(interfaces)) {
    for (const a of addrs ?? []) {
      if (a.internal || !a.cidr) continue;
      const net = parseNetwork(a.cidr);
      const text = networkText(net);
      if (!out.includes(text)) out.push(text);
    }
  }
  return out;
}

/** "192.168.1.0/24" for 192.168.1.20/24: the network's own address and prefix. */
export function networkText(net: Network): string {
  const b = net.bytes.map((x, i) => {
    const bits = Math.max(0, Math.min(8, net.prefix - i * 8));
    return x & ((0xff << (8 - bits)) & 0xff);
  });
  if (b.length === 4) return `${b.join('.')}/${net.prefix}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // The longest run of zero groups becomes "::".
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const text = best.len < 2 ? groups.join(':') : `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
  return `${text}/${net.prefix}`;
}

export interface Network {
  text: string;
  /** 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
}

function ipv4Bytes(s: string): Uint8Array {
  return Uint8Array.from(s.split('.').map(Number));
}

function ipv6Bytes(s: string): Uint8Array {
  let text = s;
  const out = new Uint8Array(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4Bytes(v4[1]!);
    const hi = ((b[0]! << 8) | b[1]!).toString(16);
    const lo = ((b[2]! << 8) | b[3]!).toString(16);
    text = `${text.slice(0, v4.index)}${hi}:${lo}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** The address as 4 bytes (IPv4, also when IPv4-mapped IPv6) or 16 bytes; undefined if not an IP. */
export function addressBytes(address: string): Uint8Array | undefined {
  const a = address.replace(/%.*$/, '');
  if (isIPv4(a)) return ipv4Bytes(a);
  if (!isIPv6(a)) return undefined;
  const b = ipv6Bytes(a);
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  return mapped ? b.slice(12) : b;
}

/** Parses one CIDR ("10.0.0.0/8", "fd00::/8", or a bare address meaning one host). */
export function parseNetwork(text: string, key = 'trusted_networks'): Network {
  const [addr = '', bits, extra] = text.trim().split('/');
  const bytes = extra === undefined ? addressBytes(addr) : undefined;
  const max = bytes ? bytes.length * 8 : 0;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!bytes || !(prefix >= 0 && prefix <= max)) {
    throw new ValidationError(`${key}: "${text}" is not a network (use CIDRs such as "192.168.1.0/24" or "fd00::/8")`);
  }
  return { text: text.trim(), bytes, prefix };
}

export function parseNetworks(v: unknown, key = 'trusted_networks'): Network[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new ValidationError(`${key}: must be a list of CIDRs, e.g. ["127.0.0.0/8", "192.168.0.0/16"]`);
  }
  return v.map((x: string) => parseNetwork(x, key));
}

function contains(net: Network, addr: Uint8Array): boolean {
  if (net.bytes.length !== addr.length) return false;
  let bits = net.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((net.bytes[i]! & mask) !== (addr[i]! & mask)) return false;
  }
  return true;
}

/** Whether a request from `address` (a socket's remoteAddress) comes from a trusted network. */
export function isTrusted(address: string | undefined, networks: readonly Network[]): boolean {
  const bytes = address ? addressBytes(address) : undefined;
  return bytes !== undefined && networks.some((n) => contains(n, bytes));
}
