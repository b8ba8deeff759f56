// A running manager: everything `flamenco-mgr serve` puts together around one data directory
// (configuration, the one-serve lock, the database and its checks, the HTTP server, the background
// timers, SSDP discovery, signals), behind one call. The CLI only parses options and calls it;
// tests and the bench call it directly.
import { isRunningOnWorker } from '../core/support/statuses';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Manager } from '../core/manager';
import { registerBackground } from '../core/observe/background';
import { adminTokenSource } from '../core/support/admin-token';
import type { Clock } from '../core/support/clock';
import { parseListen } from '../core/support/config';
import { UnavailableError, ValidationError } from '../core/support/errors';
import { createLogger, type Logger } from '../core/support/logger';
import { type DB, makeFarmPrivate } from '../db/open';
import { createManagerServer } from '../http/app';
import { drain, type DrainOptions } from '../http/drain';
import { startSsdp } from '../http/ssdp';
import { applyConfig, type LoadedConfig, loadConfigFile, type ReloadOutcome, recordEffectiveConfig } from './config-file';
import { checkFarmDatabase, DataDirError, enterDataDir, openFarmDatabase, undoNewFiles } from './data-dir';
import { checkIntegrity, databaseFileWatch, recordCleanStop } from './db-check';
import { acquireServeLock } from './lock';
import { ownOpenFileLimit } from './fd-limit';

export interface ServerOptions {
  dataDir: string;
  /** The JSON config file (re-read by reload()); none: the defaults. */
  configFile?: string;
  /** host:port, winning over the config file's `listen`. */
  listen?: string;
  logger?: Logger;
  /** Answer SSDP discovery searches on UDP 1900 (serve's default; off unless asked here). */
  ssdp?: boolean;
  /** Start an empty farm where a farm's database is missing or empty (serve --new-farm). */
  newFarm?: boolean;
  clock?: Clock;
  /** Stop on SIGTERM/SIGINT and reload the config file on SIGHUP (what the serve command wants). */
  signals?: boolean;
  /** How often the background checks run (ms); tests make them short. */
  intervals?: { timeouts?: number; schedules?: number; databaseWatch?: number };
  drain?: DrainOptions;
}

export interface ServerHandle {
  manager: Manager;
  server: Server;
  dataDir: string;
  host: string;
  port: number;
  /** host:port as bound ("[::]:8080" for IPv6). */
  address: string;
  /** A URL of this manager from the same machine. */
  url: string;
  /** What discovery does, in words, for the banner. */
  discovery: string;
  /** Re-reads the config file and applies what can change while serving; undefined without one or when it is invalid. */
  reload(): ReloadOutcome | undefined;
  /** Stops: new requests refused, requests under way answered, then everything closed. */
  close(signal?: string): Promise<void>;
  /** Resolves once serve has stopped after close(); rejects when serve stopped by itself because of a fault. */
  stopped: Promise<void>;
}

/**
 * Why serve cannot listen, and whether it may pass: a port still held by a process that is
 * stopping, or an address not up yet at boot, is worth another start (exit 5; the systemd unit
 * restarts); a privileged port is a configuration error (exit 2; the unit does not restart).
 */
const LISTEN_PROBLEMS: Record<string, { why: string; passes: boolean }> = {
  EADDRINUSE: { why: 'the address is already in use', passes: true },
  EACCES: { why: 'permission denied', passes: false },
  EADDRNOTAVAIL: { why: 'no such local address', passes: true },
};

function listen(server: Server, host: string, port: number, text: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const p = err.code && Object.hasOwn(LISTEN_PROBLEMS, err.code) ? LISTEN_PROBLEMS[err.code] : undefined;
      const message = `cannot listen on ${text}: ${p?.why}`;
      reject(p ? (p.passes ? new UnavailableError(message) : new ValidationError(message)) : err);
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
}

export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  const log = opts.logger ?? createLogger('info');
  let loaded = loadConfigFile(opts.configFile, opts.listen);
  const { host, port } = parseListen(loaded.config.listen, 'listen');
  const dataDir = path.resolve(opts.dataDir);
  const trace = enterDataDir(dataDir);
  let lock: ReturnType<typeof acquireServeLock>;
  try {
    lock = acquireServeLock(dataDir, loaded.config.listen);
  } catch (err) {
    undoNewFiles(dataDir, trace);
    throw err;
  }
  let db: DB | undefined;
  let manager: Manager;
  let server: Server;
  try {
    checkFarmDatabase(dataDir, opts.newFarm === true);
    db = openFarmDatabase(dataDir);
    makeFarmPrivate(dataDir);
    const checked = checkIntegrity(db, dataDir);
    log.debug(checked ? 'database integrity checked' : 'database unchanged since the last clean stop; integrity check skipped');
    manager = new Manager({ db, dataDir, config: loaded.config, logger: log, clock: opts.clock });
    if (checked) sayWhatRuns(manager, log);
    const token = adminTokenSource(dataDir);
    recordEffectiveConfig(dataDir, loaded);
    server = createManagerServer(manager, token);
    await listen(server, host, port, loaded.config.listen);
  } catch (err) {
    db?.close();
    lock.release();
    undoNewFiles(dataDir, trace);
    throw err;
  }
  const openDb = db;
  const actualPort = (server.address() as AddressInfo).port;
  const address = host.includes(':') ? `[${host}]:${actualPort}` : `${host}:${actualPort}`;
  lock.listening(address);
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const url = local.includes(':') ? `http://[${local}]:${actualPort}` : `http://${local}:${actualPort}`;

  // ---- background work ----------------------------------------------------------------------
  const every = opts.intervals ?? {};
  registerBackground(manager, every);
  const databaseGone = databaseFileWatch(dataDir);
  manager.timers.add('database file watch', every.databaseWatch ?? 1000, () => {
    const problem = databaseGone();
    if (!problem) return;
    log.error(`${problem}; stopping (restore the database or start serve again)`, { data_dir: dataDir });
    void stop('database-gone', new DataDirError(`${problem}; serve stopped. Put the database back (or restore a backup) and start serve again`));
  });
  manager.timers.start();

  let stopSsdp: (() => void) | undefined;
  let discovery = 'discovery: off; workers must be given manager_url';
  // Listening on loopback only, no worker elsewhere could use the answer: the discovery socket
  // (which has to listen on every interface for multicast) is not opened at all.
  const loopbackOnly = host === 'localhost' || /^127\./.test(host) || host === '::1';
  if (opts.ssdp && loopbackOnly) discovery = 'discovery: off (serve listens on loopback only); workers on this machine must be given manager_url';
  else if (opts.ssdp) {
    try {
      stopSsdp = (await startSsdp({ httpPort: actualPort, httpHost: host, log })).stop;
      discovery = 'discovery: answering SSDP searches (workers with an empty manager_url find this manager)';
    } catch (err) {
      discovery = 'discovery: off (UDP port 1900 unavailable); workers must be given manager_url';
      log.warn('ssdp: cannot listen on udp port 1900; workers must be given manager_url', { error: (err as Error).message });
    }
  }

  // ---- reload and stop ------------------------------------------------------------------------
  function reload(): ReloadOutcome | undefined {
    if (!opts.configFile) {
      log.info('config reload: serve runs without --config; nothing to reload');
      return undefined;
    }
    let next: LoadedConfig;
    try {
      // A --listen given at start still wins: it is not in the file.
      next = loadConfigFile(opts.configFile, opts.listen);
    } catch (err) {
      log.error('config reload failed; the running configuration stays', { error: (err as Error).message });
      return undefined;
    }
    // The timeout check reads worker_timeout at every pass; its interval (1 s for any
    // worker_timeout of 4 s and more) stays as started.
    const outcome = applyConfig(manager, next.config);
    // The record says what serve runs with: keys that wait for a restart keep their old value.
    const doc = { ...next.doc };
    for (const key of outcome.needsRestart) {
      if (key in loaded.doc) doc[key] = loaded.doc[key];
      else delete doc[key];
    }
    loaded = { doc, config: manager.config };
    recordEffectiveConfig(dataDir, loaded);
    log.info('config reloaded', {
      file: opts.configFile,
      applied: outcome.applied.join(',') || 'nothing changed',
      needs_restart: outcome.needsRestart.length > 0 ? outcome.needsRestart.join(',') : undefined,
    });
    if (outcome.needsRestart.length > 0) log.warn('config changes that take effect only after a restart of serve', { keys: outcome.needsRestart.join(',') });
    return outcome;
  }

  let stopping: Promise<void> | undefined;
  let settle!: { resolve: () => void; reject: (err: unknown) => void };
  const stopped = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // Nobody may be waiting (tests that only call close()): the fault is logged already.
  stopped.catch(() => undefined);

  const onTerm = () => void stop('SIGTERM');
  const onInt = () => void stop('SIGINT');
  const onHup = () => void reload();
  if (opts.signals) {
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
  }

  function stop(signal: string, fault?: Error): Promise<void> {
    stopping ??= (async () => {
      const t0 = performance.now();
      log.info('stopping', { signal });
      manager.timers.stop();
      stopSsdp?.();
      const { forced } = await drain(server, opts.drain);
      await manager.taskLogs.close();
      openDb.close();
      // A database that went away is not recorded as cleanly stopped: the next start checks.
      if (!fault) recordCleanStop(dataDir);
      lock.release();
      if (opts.signals) {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        process.off('SIGHUP', onHup);
      }
      log.info('stopped', { after_ms: Math.round(performance.now() - t0), connections_cut: forced ? 'yes' : undefined });
      if (fault) settle.reject(fault);
      else settle.resolve();
    })();
    return stopping;
  }

  log.info('listening', { address, data_dir: dataDir, registration: manager.config.registration_secret ? 'secret' : 'open' });
  const fileLimit = ownOpenFileLimit();
  if (fileLimit !== undefined && manager.config.max_connections > fileLimit) {
    log.warn(
      'max_connections is above the open-file limit of this process: connections past that limit are reset without an answer; raise the limit (LimitNOFILE= in the systemd unit, ulimit -n) or lower max_connections',
      {
        max_connections: manager.config.max_connections,
        open_file_limit: fileLimit,
      },
    );
  }
  return {
    manager,
    server,
    dataDir,
    host,
    port: actualPort,
    address,
    url,
    discovery,
    reload,
    close: (signal = 'close') => stop(signal),
    stopped,
  };
}

/**
 * After a start that did not follow a clean stop (a kill, a crash, a copy or a restore), what an
 * admin wants to know first: the database was checked, and the work that was under way is still
 * its workers', who report on it when they reach this manager, or it is requeued when they time out.
 */
function sayWhatRuns(manager: Manager, log: Logger): void {
  let running = 0;
  for (const c of manager.repos.taskCounts.all()) if (isRunningOnWorker(c.status)) running += c.n;
  if (running === 0) return;
  log.info('started after a stop that was not clean (killed, crashed, copied or restored): the database was checked and is sound', {
    running_tasks: running,
    note: `they stay their workers'; a worker that does not report within worker_timeout (${Math.round(manager.config.worker_timeout_ms / 1000)} s) has its task requeued`,
  });
}
