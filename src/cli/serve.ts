// `flamenco-mgr serve`: parses the options, starts the manager (serve/start.ts) and prints the
// banner; it returns once serve has stopped.
import { networkInterfaces } from 'node:os';
import type { Command } from 'commander';
import { ValidationError } from '../core/support/errors';
import { createLogger, isLogLevel } from '../core/support/logger';
import { startServer } from '../serve/start';
import { VERSION, COMMIT } from '../version';
import { common, type CommonOptions, resolveDataDir } from './context';

interface ServeOptions extends CommonOptions {
  listen?: string;
  config?: string;
  logLevel?: string;
  ssdp?: boolean;
  newFarm?: boolean;
}

/** URLs a worker on another machine could use to reach this manager. */
export function managerUrls(host: string, port: number): string[] {
  const fmt = (a: string) => (a.includes(':') ? `http://[${a}]:${port}/` : `http://${a}:${port}/`);
  if (host !== '0.0.0.0' && host !== '::') return [fmt(host)];
  const urls: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' || (host === '::' && !a.address.startsWith('fe80'))) urls.push(fmt(a.address));
    }
  }
  return urls;
}

/** Who may submit from Blender and read the dashboard without the admin token. */
export function trustedLine(networks: string[]): string {
  if (networks.length === 0) return "without a token: nobody (trusted_networks is empty); everything but the workers' calls needs the admin token";
  return `without a token (trusted_networks): ${networks.join(', ')} may submit jobs from Blender and read the dashboard`;
}

export function serveCommand(program: Command): void {
  common(
    program
      .command('serve')
      .description('run the manager: the HTTP server workers talk to, and the timeout checks')
      .option('--listen <host:port>', 'address to listen on (default 0.0.0.0:8080, or the config file\'s "listen")')
      .option('--config <file.json>', 'configuration file (JSON); SIGHUP re-reads it')
      .option('--log-level <level>', 'debug, info, warn or error', 'info')
      .option('--no-ssdp', 'do not answer SSDP discovery searches from workers')
      .option('--new-farm', 'start an empty farm although the data directory held one whose database is missing or empty'),
    { json: false },
  ).action(async (opts: ServeOptions) => {
    if (!isLogLevel(opts.logLevel)) throw new ValidationError(`--log-level: "${opts.logLevel}" is not one of debug, info, warn, error`);
    const dataDir = resolveDataDir(opts.dataDir);
    const s = await startServer({
      dataDir,
      configFile: opts.config,
      listen: opts.listen,
      logger: createLogger(opts.logLevel),
      ssdp: opts.ssdp !== false,
      newFarm: opts.newFarm,
      // Installed before the banner: whoever waits for the banner may signal right after it.
      signals: true,
    });
    const out = [
      `flamenco-mgr ${VERSION} (${COMMIT}) serving on ${s.address}`,
      `data directory: ${dataDir}`,
      `registration: ${registrationLine(s.manager.config)}`,
      'workers can use as manager_url:',
      ...managerUrls(s.host, s.port).map((u) => `  ${u}`),
      opts.ssdp === false ? 'discovery: off (--no-ssdp); workers must be given manager_url' : s.discovery,
      trustedLine(s.manager.config.trusted_networks.map((n) => n.text)),
      // Read-only from trusted_networks (the line above); changes need the admin token.
      `dashboard: ${s.url}/ (from other machines: a manager_url above, in a browser)`,
      `admin token: run 'flamenco-mgr admin-token --data-dir ${dataDir}'`,
    ];
    process.stdout.write(out.join('\n') + '\n');
    // Rejects when serve stopped by itself (its database went away): main reports it and exits non-zero.
    await s.stopped;
  });
}

/** How workers are admitted, for the banner: Flamenco 3 workers cannot send the JWT. */
function registrationLine(c: { registration_secret: string | null; f3_worker_networks: { text: string }[] }): string {
  if (!c.registration_secret) return 'open (any worker may register)';
  const f3 = c.f3_worker_networks.length > 0 ? `from ${c.f3_worker_networks.map((n) => n.text).join(', ')} only` : 'refused (set f3_worker_networks)';
  return `requires a registration secret (JWT); Flamenco 3 workers: ${f3}`;
}
