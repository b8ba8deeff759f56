// The manager's configuration: defaults, the JSON config file, and its validation.
import { ValidationError } from './errors';
import { isPlainObject, object } from './validate';
import { defaultTrustedNetworks, type Network, parseNetworks } from './networks';
import { parseWebhooks, type WebhookConfig } from './webhook-config';
import { setOwn } from './own';
import { DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, DEFAULT_MAX_EVENT_STREAMS_PER_ADDRESS, DEFAULT_MAX_TASKS_PER_JOB } from './limits';

export interface VariableValue {
  platform: string;
  value: string;
  audience: 'workers' | 'users' | 'all';
}

export interface VariableDef {
  /** 'one-way' replaces {name} when handing out; 'two-way' also turns values back into {name} on submit. */
  direction: 'one-way' | 'two-way';
  values: VariableValue[];
}

export interface ManagerConfig {
  listen: string;
  worker_timeout_ms: number;
  task_timeout_ms: number;
  blocklist_threshold: number;
  task_fail_after_softfail_count: number;
  job_fail_share: number;
  registration_secret: string | null;
  variables: Record<string, VariableDef>;
  /** Addresses trusted without a token (the add-on API, metrics, the read-only dashboard). */
  trusted_networks: Network[];
  /**
   * Where Flamenco 3 workers may register from while registration_secret is set (they send no
   * registration token); empty: nowhere then. Without a secret, registration is open to all.
   */
  f3_worker_networks: Network[];
  /** The folder, as the manager's machine sees it, where the Blender add-on copies packed .blend files. */
  shared_storage: string | null;
  /** The Flamenco 3 version told to the Blender add-on; null: the add-on's own (from its User-Agent). */
  addon_version: string | null;
  /** Where job and worker status changes are POSTed (observe/webhooks.ts). */
  webhooks: WebhookConfig[];
  /**
   * Host names (besides IP addresses, localhost and the machine's own names) under which requests
   * without the admin token are answered: DNS aliases the studio uses for the manager.
   */
  server_names: string[];
  /** Most HTTP connections open at once; more are closed as they arrive. */
  max_connections: number;
  /** Finished jobs older than this are deleted by serve (lifecycle/retention.ts); null: kept. */
  job_retention_ms: number | null;
  /** Most tasks one job may compile to; a larger submission is refused with 422 (see limits.ts). */
  max_tasks_per_job: number;
  /** Most HTTP connections open at once from one address; more are closed as they arrive. */
  max_connections_per_address: number;
  /** Most event streams (/api/events) open at once from one address; more are answered 429. */
  max_event_streams_per_address: number;
}

/**
 * Room for a farm of 10 000 workers (one kept-alive connection each) and its admins, while keeping
 * well under the open-file limit a service gets, so that a flood of connections cannot take the
 * file handles that task logs and the database need.
 */
export const DEFAULT_MAX_CONNECTIONS = 12_000;

export const DEFAULT_LISTEN = '0.0.0.0:8080';

export const PLATFORMS = ['linux', 'windows', 'darwin'] as const;

export function defaultConfig(): ManagerConfig {
  return {
    listen: DEFAULT_LISTEN,
    worker_timeout_ms: 60_000,
    task_timeout_ms: 10 * 60_000,
    blocklist_threshold: 3,
    task_fail_after_softfail_count: 3,
    job_fail_share: 0.1,
    registration_secret: null,
    variables: {
      blender: { direction: 'one-way', values: PLATFORMS.map((platform) => ({ platform, value: 'blender', audience: 'all' as const })) },
      ffmpeg: { direction: 'one-way', values: PLATFORMS.map((platform) => ({ platform, value: 'ffmpeg', audience: 'all' as const })) },
    },
    trusted_networks: parseNetworks(defaultTrustedNetworks()),
    f3_worker_networks: [],
    shared_storage: null,
    addon_version: null,
    webhooks: [],
    server_names: [],
    max_connections: DEFAULT_MAX_CONNECTIONS,
    job_retention_ms: null,
    max_tasks_per_job: DEFAULT_MAX_TASKS_PER_JOB,
    max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    max_event_streams_per_address: DEFAULT_MAX_EVENT_STREAMS_PER_ADDRESS,
  };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "90s", "10m", "1h", "1m30s", "250ms", "30d" into milliseconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (t === '' || pos !== t.length) {
    throw new ValidationError(`"${text}" is not a duration (use e.g. "90s", "10m", "1h")`);
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export const CONFIG_KEYS = [
  'listen',
  'worker_timeout',
  'task_timeout',
  'blocklist_threshold',
  'task_fail_after_softfail_count',
  'job_fail_share',
  'registration_secret',
  'variables',
  'trusted_networks',
  'f3_worker_networks',
  'shared_storage',
  'addon_version',
  'webhooks',
  'max_connections',
  'job_retention',
  'max_tasks_per_job',
  'max_connections_per_address',
  'max_event_streams_per_address',
  'server_names',
];

/** Builds a config from a parsed JSON config file; every problem names the key. */
export function configFromJson(doc: unknown): ManagerConfig {
  const cfg = defaultConfig();
  if (!isPlainObject(doc)) throw new ValidationError('the config file must hold a JSON object');
  const o = doc;
  for (const k of Object.keys(o)) {
    if (!CONFIG_KEYS.includes(k)) throw new ValidationError(`unknown config key "${k}" (known: ${CONFIG_KEYS.join(', ')})`);
  }
  if (o.listen !== undefined) cfg.listen = parseListen(o.listen, 'listen').text;
  if (o.worker_timeout !== undefined) cfg.worker_timeout_ms = durationKey(o.worker_timeout, 'worker_timeout');
  if (o.job_retention !== undefined && o.job_retention !== null) cfg.job_retention_ms = durationKey(o.job_retention, 'job_retention');
  if (o.task_timeout !== undefined) cfg.task_timeout_ms = durationKey(o.task_timeout, 'task_timeout');
  if (o.blocklist_threshold !== undefined) cfg.blocklist_threshold = positiveInt(o.blocklist_threshold, 'blocklist_threshold');
  if (o.task_fail_after_softfail_count !== undefined) {
    cfg.task_fail_after_softfail_count = positiveInt(o.task_fail_after_softfail_count, 'task_fail_after_softfail_count');
  }
  if (o.job_fail_share !== undefined) {
    const v = o.job_fail_share;
    if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new ValidationError('job_fail_share: must be a number in (0, 1], e.g. 0.1 for 10 %');
    cfg.job_fail_share = v;
  }
  if (o.registration_secret !== undefined && o.registration_secret !== null && o.registration_secret !== '') {
    if (typeof o.registration_secret !== 'string') throw new ValidationError('registration_secret: must be a string');
    cfg.registration_secret = o.registration_secret;
  }
  if (o.variables !== undefined) cfg.variables = { ...cfg.variables, ...parseVariables(o.variables) };
  if (o.trusted_networks !== undefined) cfg.trusted_networks = parseNetworks(o.trusted_networks);
  if (o.f3_worker_networks !== undefined) cfg.f3_worker_networks = parseNetworks(o.f3_worker_networks, 'f3_worker_networks');
  if (o.shared_storage !== undefined && o.shared_storage !== null) {
    if (typeof o.shared_storage !== 'string' || !/^(\/|[A-Za-z]:[\\/])/.test(o.shared_storage)) {
      throw new ValidationError('shared_storage: must be an absolute path on the manager\'s machine, e.g. "/mnt/render/jobs"');
    }
    cfg.shared_storage = o.shared_storage;
  }
  if (o.addon_version !== undefined && o.addon_version !== null) {
    if (typeof o.addon_version !== 'string' || !/^[0-9][0-9A-Za-z.+-]{0,31}$/.test(o.addon_version)) {
      throw new ValidationError('addon_version: must be a Flamenco version such as "3.9"');
    }
    cfg.addon_version = o.addon_version;
  }
  if (o.webhooks !== undefined) cfg.webhooks = parseWebhooks(o.webhooks);
  if (o.max_connections !== undefined) cfg.max_connections = positiveInt(o.max_connections, 'max_connections');
  if (o.server_names !== undefined) cfg.server_names = parseServerNames(o.server_names);
  if (o.max_tasks_per_job !== undefined) cfg.max_tasks_per_job = positiveInt(o.max_tasks_per_job, 'max_tasks_per_job');
  if (o.max_connections_per_address !== undefined) cfg.max_connections_per_address = positiveInt(o.max_connections_per_address, 'max_connections_per_address');
  if (o.max_event_streams_per_address !== undefined) cfg.max_event_streams_per_address = positiveInt(o.max_event_streams_per_address, 'max_event_streams_per_address');
  checkTimeouts(cfg);
  return cfg;
}

export function checkTimeouts(cfg: ManagerConfig): void {
  if (cfg.worker_timeout_ms >= cfg.task_timeout_ms) {
    throw new ValidationError(`worker_timeout (${formatDuration(cfg.worker_timeout_ms)}) must be shorter than task_timeout (${formatDuration(cfg.task_timeout_ms)})`);
  }
}

function durationKey(v: unknown, key: string): number {
  if (typeof v !== 'string') throw new ValidationError(`${key}: must be a duration string such as "90s"`);
  try {
    const ms = parseDuration(v);
    if (ms <= 0) throw new ValidationError('must be longer than zero');
    return ms;
  } catch (err) {
    throw new ValidationError(`${key}: ${(err as Error).message}`);
  }
}

/** Host names as a browser sends them in Host: lower case, without a port or a final dot. */
function parseServerNames(v: unknown): string[] {
  const example = 'e.g. ["render-mgr", "farm.studio.lan"]';
  if (!Array.isArray(v)) throw new ValidationError(`server_names: must be a list of host names, ${example}`);
  return v.map((x: unknown) => {
    const name = typeof x === 'string' ? x.trim().toLowerCase().replace(/\.$/, '') : '';
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name) || name.length > 253) {
      throw new ValidationError(`server_names: ${JSON.stringify(x)} is not a host name, ${example}`);
    }
    return name;
  });
}

function positiveInt(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ValidationError(`${key}: must be an integer ≥ 1`);
  return v;
}

function parseVariables(v: unknown): Record<string, VariableDef> {
  if (!isPlainObject(v)) throw new ValidationError('variables: must be an object of {name: {values: [...]}}');
  const out: Record<string, VariableDef> = {};
  for (const [name, def] of Object.entries(v)) {
    const where = `variables.${name}`;
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new ValidationError(`${where}: a variable name uses letters, digits, _ and -`);
    if (!isPlainObject(def)) throw new ValidationError(`${where}: must be an object with "values"`);
    const d = def;
    for (const k of Object.keys(d)) if (k !== 'values' && k !== 'direction') throw new ValidationError(`${where}: unknown key "${k}"`);
    const direction = d.direction ?? 'one-way';
    if (direction !== 'one-way' && direction !== 'two-way') throw new ValidationError(`${where}.direction: must be "one-way" or "two-way"`);
    if (!Array.isArray(d.values) || d.values.length === 0) throw new ValidationError(`${where}.values: must be a non-empty array`);
    const values = d.values.map((item: unknown, i: number): VariableValue => {
      const at = `${where}.values[${i}]`;
      const it = object(item, at);
      for (const k of Object.keys(it)) if (!['platform', 'value', 'audience'].includes(k)) throw new ValidationError(`${at}: unknown key "${k}"`);
      if (typeof it.platform !== 'string' || it.platform === '') throw new ValidationError(`${at}.platform: must be a non-empty string`);
      if (typeof it.value !== 'string') throw new ValidationError(`${at}.value: must be a string`);
      const audience = it.audience ?? 'all';
      if (audience !== 'workers' && audience !== 'users' && audience !== 'all') {
        throw new ValidationError(`${at}.audience: must be "workers", "users" or "all"`);
      }
      return { platform: it.platform, value: it.value, audience };
    });
    setOwn(out, name, { direction, values });
  }
  return out;
}

export interface Listen {
  host: string;
  port: number;
  text: string;
}

/** "host:port", ":port" or "[v6]:port". */
export function parseListen(v: unknown, key = '--listen'): Listen {
  if (typeof v !== 'string') throw new ValidationError(`${key}: must be a string "host:port"`);
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(v.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ValidationError(`${key}: "${v}" is not host:port (e.g. 0.0.0.0:8080)`);
  const host = m[1] ?? (m[2] || '0.0.0.0');
  return { host, port, text: v.trim() };
}
