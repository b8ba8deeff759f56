// Refusals (an untrusted address, a rate limit, a connection limit …) are logged at most once per
// kind and address per REFUSAL_LOG_INTERVAL_MS, the line saying how many were refused since the
// last one: 17 928 refused requests in 5 s wrote 17 931 warning lines before. O(1) per refusal,
// and the table is bounded.
import type { Clock } from './clock';
import { MAX_TRACKED_ADDRESSES, REFUSAL_LOG_INTERVAL_MS } from './limits';
import type { LogFields, Logger } from './logger';

export class RefusalLog {
  private readonly seen = new Map<string, { at: number; since: number }>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
    private readonly maxTracked = MAX_TRACKED_ADDRESSES,
  ) {}

  /** Logs `msg` for `address` unless it was logged for it within the interval; counts it either way. */
  refused(msg: string, address: string, fields: LogFields = {}, level: 'info' | 'warn' = 'warn'): void {
    const key = `${msg}\u0000${address}`;
    const now = this.clock.now();
    const e = this.seen.get(key);
    if (e && now - e.at < this.intervalMs) {
      e.since++;
      return;
    }
    const repeated = e ? e.since : 0;
    this.seen.delete(key);
    // Full: the oldest entry goes (a Map keeps insertion order, and a logged key is re-inserted).
    if (this.seen.size >= this.maxTracked) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { at: now, since: 0 });
    this.log[level](msg, { address, ...fields, ...(repeated > 0 ? { refused_since_last_line: repeated } : {}) });
  }
}
