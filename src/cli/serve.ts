// `flamenco-mgr serve`: the HTTP server for workers, plus the background timeout checks.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Command } from 'commander';
import { ensureAdminToken } from '../core/support/admin-token';
import { configFromJson, defaultConfig, type ManagerConfig, parseListen } from '../core/support/config';
import { ValidationError } from '../core/support/errors';
import { createLogger, isLogLevel } from '../core/support/logger';
import { registerBackground } from '../core/observe/background';
import { createManagerServer } from '../http/app';
import { startSsdp } from '../http/ssdp';
import { VERSION, COMMIT } from '../version';
import { common, type CommonOptions, ensureDataDir, fsProblem, openManager, resolveDataDir } from './context';
import { acquireServeLock } from './lock';

interface ServeOptions extends CommonOptions {
  listen?: string;
  config?: string;
  logLevel?: string;
  ssdp?: boolean;
}

function loadConfig(file: string | undefined): ManagerConfig {
  if (!file) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read config file ${file}: ${fsProblem(err)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return configFromJson(doc);
  } catch (err) {
    throw new ValidationError(`config file ${file}: ${(err as Error).message}`);
  }
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

export function serveCommand(program: Command): void {
  common(
    program
      .command('serve')
      .description('run the manager: the HTTP server workers talk to, and the timeout checks')
      .option('--listen <host:port>', 'address to listen on (default 0.0.0.0:8080, or the config file\'s "listen")')
      .option('--config <file.json>', 'configuration file (JSON)')
      .option('--log-level <level>', 'debug, info, warn or error', 'info')
      .option('--no-ssdp', 'do not answer SSDP discovery searches from workers'),
    false,
  ).action(async (opts: ServeOptions) => {
    if (!isLogLevel(opts.logLevel)) throw new ValidationError(`--log-level: "${opts.logLevel}" is not one of debug, info, warn, error`);
    const config = loadConfig(opts.config);
    if (opts.listen !== undefined) config.listen = parseListen(opts.listen).text;
    const { host, port } = parseListen(config.listen, 'listen');
    const dataDir = resolveDataDir(opts.dataDir);
    ensureDataDir(dataDir);
    const lock = acquireServeLock(dataDir, config.listen);
    const logger = createLogger(opts.logLevel);
    let opened: ReturnType<typeof openManager> | undefined;
    let token: string;
    try {
      opened = openManager(opts, { config, logger, create: true });
      token = ensureAdminToken(dataDir);
    } catch (err) {
      opened?.close();
      lock.release();
      throw err;
    }
    const { manager, db } = opened;
    const server = createManagerServer(manager, token);

    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      db.close();
      lock.release();
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new ValidationError(`cannot listen on ${config.listen}: the address is already in use`);
      if (e.code === 'EACCES') throw new ValidationError(`cannot listen on ${config.listen}: permission denied`);
      if (e.code === 'EADDRNOTAVAIL') throw new ValidationError(`cannot listen on ${config.listen}: no such local address`);
      throw err;
    }
    const actualPort = (server.address() as AddressInfo).port;
    const bound = host.includes(':') ? `[${host}]:${actualPort}` : `${host}:${actualPort}`;
    lock.listening(bound);
    registerBackground(manager);
    manager.timers.start();

    let stopSsdp: (() => void) | undefined;
    let discovery = 'discovery: off (--no-ssdp); workers must be given manager_url';
    if (opts.ssdp !== false) {
      try {
        stopSsdp = (await startSsdp({ httpPort: actualPort, httpHost: host, log: logger })).stop;
        discovery = 'discovery: answering SSDP searches (workers with an empty manager_url find this manager)';
      } catch (err) {
        discovery = 'discovery: off (UDP port 1900 unavailable); workers must be given manager_url';
        logger.warn('ssdp: cannot listen on udp port 1900; workers must be given manager_url', { error: (err as Error).message });
      }
    }

    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info('stopping', { signal });
      manager.timers.stop();
      stopSsdp?.();
      const force = setTimeout(() => server.closeAllConnections(), 5000);
      force.unref();
      server.close(() => {
        void manager.logs.idle().then(() => {
          db.close();
          lock.release();
          logger.info('stopped');
          process.exit(0);
        });
      });
      server.closeIdleConnections();
    };
    // Installed before the banner: whoever waits for the banner may signal right after it.
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));

    const out = [
      `flamenco-mgr ${VERSION} (${COMMIT}) serving on ${bound}`,
      `data directory: ${dataDir}`,
      `registration: ${config.registration_secret ? 'requires a registration secret (JWT)' : 'open (any worker may register)'}`,
      'workers can use as manager_url:',
      ...managerUrls(host, actualPort).map((u) => `  ${u}`),
      discovery,
      `admin token: run 'flamenco-mgr admin-token --data-dir ${dataDir}'`,
    ];
    process.stdout.write(out.join('\n') + '\n');
    logger.info('listening', { address: bound, data_dir: dataDir, registration: config.registration_secret ? 'secret' : 'open' });
  });
}
