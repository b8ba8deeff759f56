// Log lines that a stranger can cause, at most one per key (an address) per interval: the first
// is written at once, later ones within the interval are counted, and the next line written
// says how many there were. 1 000 wrong admin tokens in a second must not write 1 000 lines.
import type { Clock } from './clock';
import type { LogFields, Logger } from './logger';

export const LOG_INTERVAL_MS = 60_000;
/** Keys remembered at most; beyond, the oldest are forgotten (their next line comes at once). */
const MAX_KEYS = 10_000;

export class LimitedLog {
  private readonly seen = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = LOG_INTERVAL_MS,
  ) {}

  /** Writes a warning for `key`, or counts it when one was written within the interval. */
  warn(key: string, msg: string, fields: LogFields = {}): void {
    const now = this.clock.now();
    const s = this.seen.get(key);
    if (s && now - s.at < this.intervalMs) {
      s.suppressed++;
      return;
    }
    this.seen.delete(key);
    if (this.seen.size >= MAX_KEYS) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { at: now, suppressed: 0 });
    this.log.warn(msg, { ...fields, ...(s && s.suppressed > 0 ? { more_since_last_line: s.suppressed } : {}) });
  }
}
