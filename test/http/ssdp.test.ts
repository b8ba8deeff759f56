import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/support/logger';
import { addressFor, ssdpReply, startSsdp } from '../../src/http/ssdp';

// The search the Flamenco Worker sends when its manager_url is empty.
const SEARCH = 'M-SEARCH * HTTP/1.1\r\nST: urn:flamenco:manager:0\r\nMX: 3\r\nMAN: "ssdp:discover"\r\nHOST: 239.255.255.250:1900\r\n\r\n';
const IFACES = [
  { address: '127.0.0.1', netmask: '255.0.0.0', internal: true },
  { address: '10.1.2.3', netmask: '255.255.0.0', internal: false },
  { address: '192.168.5.9', netmask: '255.255.255.0', internal: false },
];

describe('SSDP discovery', () => {
  it("answers a worker search with the address on the worker's subnet", () => {
    const reply = ssdpReply(SEARCH, '192.168.5.40', 8080, '0.0.0.0', IFACES)!;
    expect(reply.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(reply).toContain('LOCATION: http://192.168.5.9:8080/\r\n');
    expect(reply).toContain('ST: urn:flamenco:manager:0\r\n');
    expect(reply.endsWith('\r\n\r\n')).toBe(true);
    expect(ssdpReply(SEARCH, '10.1.77.1', 8080, '0.0.0.0', IFACES)).toContain('LOCATION: http://10.1.2.3:8080/');
  });

  it('uses the listen address when serve is bound to one', () => {
    expect(ssdpReply(SEARCH, '192.168.5.40', 9000, '10.1.2.3', IFACES)).toContain('LOCATION: http://10.1.2.3:9000/');
  });

  it('falls back to an external interface for a peer on no known subnet', () => {
    expect(addressFor('172.16.0.1', IFACES)).toBe('10.1.2.3');
  });

  it('ignores other searches and other messages', () => {
    expect(ssdpReply(SEARCH.replace('urn:flamenco:manager:0', 'urn:other:service:1'), '10.1.0.1', 8080, '0.0.0.0', IFACES)).toBeUndefined();
    expect(ssdpReply('NOTIFY * HTTP/1.1\r\nNT: urn:flamenco:manager:0\r\n\r\n', '10.1.0.1', 8080, '0.0.0.0', IFACES)).toBeUndefined();
    expect(ssdpReply('garbage', '10.1.0.1', 8080, '0.0.0.0', IFACES)).toBeUndefined();
  });

  it('replies over real UDP', async () => {
    const responder = await startSsdp({ httpPort: 8123, httpHost: '127.0.0.1', log: silentLogger, bindPort: 0, bindAddress: '127.0.0.1' });
    const client = dgram.createSocket('udp4');
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no SSDP reply')), 5000);
        client.on('message', (m) => {
          clearTimeout(timer);
          resolve(m.toString());
        });
        client.send(SEARCH, responder.port, '127.0.0.1');
      });
      expect(reply).toContain('LOCATION: http://127.0.0.1:8123/');
    } finally {
      client.close();
      responder.stop();
    }
  });
});
