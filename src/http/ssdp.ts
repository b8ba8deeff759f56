// SSDP discovery: a worker whose manager_url is empty sends an M-SEARCH for
// urn:flamenco:manager:0 to 239.255.255.250:1900 and takes the Location of the first reply.
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { Logger } from '../core/support/logger';
import { VERSION } from '../version';

export const SSDP_TARGET = 'urn:flamenco:manager:0';
const MULTICAST = '239.255.255.250';

interface V4 {
  address: string;
  netmask: string;
  internal: boolean;
}

function v4Interfaces(): V4[] {
  return Object.values(networkInterfaces())
    .flatMap((a) => a ?? [])
    .filter((a) => a.family === 'IPv4')
    .map((a) => ({ address: a.address, netmask: a.netmask, internal: a.internal }));
}

function toInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

/** The local address a requester at `peer` can reach: one on its subnet, else any external one. */
export function addressFor(peer: string, interfaces: V4[]): string | undefined {
  const p = toInt(peer);
  const same = interfaces.find((i) => (toInt(i.address) & toInt(i.netmask)) === (p & toInt(i.netmask)));
  return (same ?? interfaces.find((i) => !i.internal) ?? interfaces[0])?.address;
}

/** The reply to one datagram, or undefined when it is not a search for us. */
export function ssdpReply(message: string, peer: string, port: number, host: string, interfaces: V4[]): string | undefined {
  const [first, ...headerLines] = message.split(/\r?\n/);
  if (!first || !/^M-SEARCH \* HTTP\/1\.[01]$/i.test(first.trim())) return undefined;
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  const st = headers.get('st');
  if (st !== SSDP_TARGET && st !== 'ssdp:all') return undefined;
  const address = host === '0.0.0.0' || host === '::' ? addressFor(peer, interfaces) : host;
  if (!address) return undefined;
  return [
    'HTTP/1.1 200 OK',
    'CACHE-CONTROL: max-age=1800',
    'EXT:',
    `LOCATION: http://${address}:${port}/`,
    `SERVER: flamenco-mgr/${VERSION} UPnP/1.1`,
    `ST: ${SSDP_TARGET}`,
    `USN: uuid:flamenco-mgr-${address.replace(/\./g, '-')}-${port}::${SSDP_TARGET}`,
    '',
    '',
  ].join('\r\n');
}

/** Answers discovery searches; returns a function that stops it. */
export function startSsdp(opts: { httpPort: number; httpHost: string; log: Logger; bindPort?: number; bindAddress?: string }): Promise<{ stop: () => void; port: number }> {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  sock.on('message', (msg, rinfo) => {
    const reply = ssdpReply(msg.toString('latin1'), rinfo.address, opts.httpPort, opts.httpHost, v4Interfaces());
    if (!reply) return;
    sock.send(reply, rinfo.port, rinfo.address, (err) => {
      if (err) opts.log.debug('ssdp reply failed', { peer: rinfo.address, error: err.message });
      else opts.log.debug('answered ssdp search', { peer: rinfo.address });
    });
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(opts.bindPort ?? 1900, opts.bindAddress, () => {
      sock.off('error', reject);
      sock.on('error', (err) => opts.log.warn('ssdp socket error', { error: err.message }));
      if (opts.bindPort === undefined) {
        try {
          sock.addMembership(MULTICAST);
        } catch (err) {
          opts.log.warn('ssdp: cannot join the multicast group; discovery is off', { error: (err as Error).message });
        }
      }
      resolve({ stop: () => sock.close(), port: sock.address().port });
    });
  });
}
