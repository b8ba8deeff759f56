// Structured logs: one logfmt line per event, ids as fields. Quiet by default (info and up).
import { ownValue } from './own';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether lines of this level are written (absent: all are); lets callers skip work for lines nobody sees. */
  enabled?(level: LogLevel): boolean;
}

function quote(v: string): string {
  return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
}

export function formatLogLine(time: string, level: LogLevel, msg: string, fields: LogFields = {}): string {
  let line = `time=${time} level=${level} msg=${quote(msg)}`;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    line += ` ${k}=${quote(String(v))}`;
  }
  return line;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel) => (msg: string, fields?: LogFields) => {
    if (ORDER[lvl] >= min) write(formatLogLine(new Date().toISOString(), lvl, msg, fields));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error'), enabled: (lvl) => ORDER[lvl] >= min };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, enabled: () => false };

/** How the ids in log fields are named: a job's name, a worker's nickname. */
export interface LogNames {
  job(id: string): string | undefined;
  worker(id: string): string | undefined;
}

/**
 * A logger that writes, beside a `job` id, the job's name (`job_name`) and beside a `worker` id
 * the worker's nickname (`nickname`), unless the line names them already: people read names,
 * grep ids. Only lines that are written are looked up (one primary-key read each).
 */
export function namingLogger(base: Logger, names: LogNames): Logger {
  const named = (fields: LogFields | undefined): LogFields | undefined => {
    if (!fields || (typeof fields.job !== 'string' && typeof fields.worker !== 'string')) return fields;
    const out: LogFields = {};
    for (const [k, v] of Object.entries(fields)) {
      out[k] = v;
      if (k === 'job' && typeof v === 'string' && fields.name === undefined && fields.job_name === undefined) out.job_name = names.job(v);
      if (k === 'worker' && typeof v === 'string' && fields.nickname === undefined) out.nickname = names.worker(v);
    }
    return out;
  };
  const emit = (lvl: LogLevel) => (msg: string, fields?: LogFields) => {
    if (base.enabled && !base.enabled(lvl)) return;
    base[lvl](msg, named(fields));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error'), enabled: (lvl) => base.enabled?.(lvl) ?? true };
}

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && ownValue(ORDER, v) !== undefined;
}
