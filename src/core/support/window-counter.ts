// Counting events per key (an address, a worker) in fixed windows of time, in bounded memory.
// Rate limits of several packages use it (login-limits.ts, jobs/submission-limits.ts, task reports).
import type { Clock } from './clock';

/** Keys kept at most, whatever the number of addresses that come by. */
export const MAX_TRACKED_KEYS = 10_000;

/** Counts events per key in fixed windows; a key at its limit is blocked until its window ends. */
export class WindowCounter {
  private readonly windows = new Map<string, { start: number; n: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = MAX_TRACKED_KEYS,
  ) {}

  /** Milliseconds until the key may act again; 0 when it may now. */
  blockedFor(key: string): number {
    const w = this.windows.get(key);
    if (!w) return 0;
    const left = w.start + this.windowMs - this.clock.now();
    if (left <= 0) {
      this.windows.delete(key);
      return 0;
    }
    return w.n >= this.limit ? left : 0;
  }

  add(key: string, n = 1): void {
    const now = this.clock.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.evict(now);
      w = { start: now, n: 0 };
      this.windows.set(key, w);
    }
    w.n += n;
  }

  /** Takes back events counted in advance (a verification that succeeded). */
  refund(key: string): void {
    const w = this.windows.get(key);
    if (w && w.n > 0) w.n--;
  }

  get size(): number {
    return this.windows.size;
  }

  /**
   * A window is inserted when it starts and never moved, so the Map's insertion order is the order
   * of the windows' starts: the ended ones, and then the oldest, are at its front. Stopping at the
   * first window that may stay keeps a full table at O(1) per new key instead of a walk over all
   * of them.
   */
  private evict(now: number): void {
    for (const [k, w] of this.windows) {
      if (now - w.start < this.windowMs && this.windows.size < this.maxKeys) break;
      this.windows.delete(k);
    }
  }
}
