// The names this machine answers to without being configured: `localhost`, its host name as the
// system gives it, that name's first label (render-mgr for render-mgr.studio.lan), and its fully
// qualified form when the resolver knows one (/etc/hosts or DNS). The fully qualified name is
// looked up once, in the background: until it is known, only the other names count.
import { lookup, lookupService } from 'node:dns/promises';
import { hostname } from 'node:os';

let names: Set<string> | undefined;

function normalized(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

export function machineNames(): ReadonlySet<string> {
  if (names) return names;
  const own = normalized(hostname());
  const short = own.split('.')[0]!;
  names = new Set(['localhost', own, short].filter((n) => n !== ''));
  const found = names;
  void fullyQualified(own).then(
    (fqdn) => {
      // Only a longer form of our own name: a stray reverse-DNS answer adds nothing.
      if (fqdn && fqdn.split('.')[0] === short) found.add(fqdn);
    },
    () => undefined,
  );
  return names;
}

async function fullyQualified(own: string): Promise<string | undefined> {
  if (own.includes('.')) return undefined;
  const { address } = await lookup(own);
  const { hostname: name } = await lookupService(address, 0);
  return normalized(name);
}
