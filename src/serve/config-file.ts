// serve's configuration file, the record of the configuration serve runs with (so that every other
// command on the data directory uses the same one), and what a reload may change while serving.
import { chmodSync, closeSync, constants, existsSync, fstatSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE } from '../core/support/file-modes';
import type { Manager } from '../core/manager';
import { configFromJson, defaultConfig, type ManagerConfig, parseListen } from '../core/support/config';
import { ValidationError } from '../core/support/errors';
import { DataDirError, EFFECTIVE_CONFIG_FILE, fsProblem } from './data-dir';

/** A parsed config file: the JSON document as written (kept for the record) and the config it makes. */
export interface LoadedConfig {
  doc: Record<string, unknown>;
  config: ManagerConfig;
}

function parseDocument(text: string, where: string): LoadedConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return { doc: doc as Record<string, unknown>, config: configFromJson(doc) };
  } catch (err) {
    throw new ValidationError(`${where}: ${(err as Error).message}`);
  }
}

/** Far more than any farm's configuration; a bigger file is a mistake, not a config. */
export const CONFIG_MAX_BYTES = 1024 * 1024;

/**
 * The text of a configuration file, which must be a regular file: a FIFO would block serve until
 * someone writes to it (at start, or at every SIGHUP), a device could be endless. Opened without
 * blocking, checked, then read.
 */
export function readRegularFile(file: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new ValidationError(`cannot read ${what} ${file}: ${fsProblem(err)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw new ValidationError(`cannot read ${what} ${file}: ${st.isDirectory() ? 'is a directory, not a file' : 'is not a regular file (a FIFO, socket or device)'}`);
    if (st.size > CONFIG_MAX_BYTES) throw new ValidationError(`cannot read ${what} ${file}: it has ${st.size} bytes, more than ${CONFIG_MAX_BYTES}`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Reads serve's --config file (none: the defaults); `listen` (from --listen) wins over the file's. */
export function loadConfigFile(file: string | undefined, listen?: string): LoadedConfig {
  let loaded: LoadedConfig = { doc: {}, config: defaultConfig() };
  if (file) {
    const text = readRegularFile(file, 'config file');
    loaded = parseDocument(text, `config file ${file}`);
  }
  if (listen !== undefined) {
    const text = parseListen(listen).text;
    loaded = { doc: { ...loaded.doc, listen: text }, config: { ...loaded.config, listen: text } };
  }
  return loaded;
}

/**
 * Records the configuration serve runs with in the data directory. It holds the registration
 * secret, so only the owner may read it (like admin-token); written whole or not at all.
 */
export function recordEffectiveConfig(dataDir: string, loaded: LoadedConfig): void {
  const file = path.join(dataDir, EFFECTIVE_CONFIG_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(loaded.doc, null, 2) + '\n', { mode: PRIVATE_FILE });
  chmodSync(tmp, PRIVATE_FILE);
  renameSync(tmp, file);
}

/** The configuration the data directory's serve runs with (or last ran with); the defaults before any serve recorded one. */
export function loadEffectiveConfig(dataDir: string): ManagerConfig {
  const file = path.join(dataDir, EFFECTIVE_CONFIG_FILE);
  let text: string;
  try {
    text = readRegularFile(file, "serve's configuration");
  } catch (err) {
    if (!existsSync(file)) return defaultConfig();
    throw new DataDirError((err as Error).message);
  }
  try {
    return parseDocument(text, `serve's recorded configuration ${file}`).config;
  } catch (err) {
    throw new DataDirError(`${(err as Error).message} (start serve again to record a valid one)`);
  }
}

/**
 * Keys a reload applies while serving: everything read afresh at each use. Any other key that
 * changed (listen, and keys added later unless listed here) waits for a restart.
 */
export const LIVE_KEYS = [
  'worker_timeout_ms',
  'task_timeout_ms',
  'blocklist_threshold',
  'task_fail_after_softfail_count',
  'job_fail_share',
  'registration_secret',
  'f3_worker_networks',
  'variables',
  'job_retention_ms',
  'max_tasks_per_job',
  'max_connections_per_address',
  'max_event_streams_per_address',
  'server_names',
] as const satisfies readonly (keyof ManagerConfig)[];

export interface ReloadOutcome {
  /** Config-file key names whose new values are in effect. */
  applied: string[];
  /** Changed keys that keep their old value until serve is restarted. */
  needsRestart: string[];
}

/** The key as the config file spells it ("worker_timeout", not "worker_timeout_ms"). */
export const fileKey = (k: string) => k.replace(/_ms$/, '');

/** Applies a newly read config to a running manager: the live keys in place, the others reported. */
export function applyConfig(manager: Manager, next: ManagerConfig): ReloadOutcome {
  const current = manager.config as unknown as Record<string, unknown>;
  const incoming = next as unknown as Record<string, unknown>;
  const applied: string[] = [];
  const needsRestart: string[] = [];
  const keys = new Set([...Object.keys(current), ...Object.keys(incoming)]);
  for (const k of keys) {
    if (JSON.stringify(current[k]) === JSON.stringify(incoming[k])) continue;
    if ((LIVE_KEYS as readonly string[]).includes(k)) {
      current[k] = incoming[k];
      applied.push(fileKey(k));
    } else {
      needsRestart.push(fileKey(k));
    }
  }
  if (applied.includes('variables')) manager.variables.reconfigure(manager.config.variables);
  return { applied, needsRestart };
}
