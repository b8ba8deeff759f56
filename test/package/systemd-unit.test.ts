// The systemd unit in packaging/ must let serve do what it does at every start.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

const UNIT = readFileSync(path.join(ROOT, 'packaging', 'flamenco-mgr.service'), 'utf8');

/** The value of a key of the [Service] section (the last one wins, as in systemd). */
function serviceKey(key: string): string | undefined {
  const service = UNIT.split(/^\[Service\]$/m)[1]!.split(/^\[/m)[0]!;
  const values = [...service.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
  return values.at(-1);
}

describe('packaging/flamenco-mgr.service', () => {
  it('allows the address families serve uses: IP for workers, netlink to list the interfaces', () => {
    // os.networkInterfaces() (the manager_url lines of a wildcard listen) asks the kernel over
    // AF_NETLINK; without it serve fails at every start and the unit restarts it in a loop.
    const families = serviceKey('RestrictAddressFamilies')?.split(/\s+/) ?? [];
    expect(families).toEqual(expect.arrayContaining(['AF_INET', 'AF_INET6', 'AF_UNIX', 'AF_NETLINK']));
  });

  it('stops serve with SIGTERM, which serve handles cleanly', () => {
    expect(serviceKey('KillSignal')).toBe('SIGTERM');
  });

  it('does not restart serve after a refusal another start cannot change (exit 2: configuration, database)', () => {
    expect(serviceKey('Restart')).toBe('on-failure');
    expect(serviceKey('RestartPreventExitStatus')?.split(/\s+/)).toContain('2');
  });
});
