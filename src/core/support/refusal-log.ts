// Refusals (an untrusted address, a rate limit, a connection limit …) are logged at most once per
// kind and address per REFUSAL_LOG_INTERVAL_MS, the line saying how many were refused since the
// last one: 17 928 refused requests in 5 s wrote 17 931 warning lines before. Many addresses (an
// IPv6 host's, or a round of more than the table keeps) write at most REFUSAL_LINES_PER_KIND lines
// of a kind per interval; the refusals beyond are counted into one line when the next interval
// begins. O(1) per refusal, and the tables are bounded.
import type { Clock } from './clock';
import { MAX_TRACKED_ADDRESSES, REFUSAL_LINES_PER_KIND, REFUSAL_LOG_INTERVAL_MS } from './limits';
import type { LogFields, Logger } from './logger';

export class RefusalLog {
  private readonly seen = new Map<string, { at: number; since: number }>();
  /** Per kind (message): the interval's start, lines written in it, refusals left unlogged. */
  private readonly kinds = new Map<string, { start: number; lines: number; unlogged: number; level: 'info' | 'warn' }>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
    private readonly maxTracked = MAX_TRACKED_ADDRESSES,
    private readonly linesPerKind = REFUSAL_LINES_PER_KIND,
  ) {}

  /** Whether this kind may write another line now; writes the count of the last interval's unlogged ones first. */
  private budget(msg: string, now: number, level: 'info' | 'warn'): boolean {
    let k = this.kinds.get(msg);
    if (!k || now - k.start >= this.intervalMs) {
      if (k && k.unlogged > 0) {
        this.log[k.level](msg, { address: 'many', refused_without_a_line: k.unlogged, lines_per_minute: this.linesPerKind });
      }
      // The kinds are the messages in the code: a handful, never from the network.
      k = { start: now, lines: 0, unlogged: 0, level };
      this.kinds.set(msg, k);
    }
    if (k.lines >= this.linesPerKind) {
      k.unlogged++;
      return false;
    }
    k.lines++;
    return true;
  }

  /** Logs `msg` for `address` unless it was logged for it within the interval; counts it either way. */
  refused(msg: string, address: string, fields: LogFields = {}, level: 'info' | 'warn' = 'warn'): void {
    const key = `${msg}\u0000${address}`;
    const now = this.clock.now();
    const e = this.seen.get(key);
    if (e && now - e.at < this.intervalMs) {
      e.since++;
      return;
    }
    if (!this.budget(msg, now, level)) return;
    const repeated = e ? e.since : 0;
    this.seen.delete(key);
    // Full: the oldest entry goes (a Map keeps insertion order, and a logged key is re-inserted).
    if (this.seen.size >= this.maxTracked) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { at: now, since: 0 });
    this.log[level](msg, { address, ...fields, ...(repeated > 0 ? { refused_since_last_line: repeated } : {}) });
  }
}
