// Bounds on what strangers can make secret verification cost. A worker's first request after a
// restart of serve needs one scrypt verification (≈ 5 ms on libuv's thread pool); later ones hit the in-memory cache and cost one SHA-256. Wrong secrets always
// miss that cache, so without bounds 400 connections sending wrong secrets kept the whole thread
// pool busy and pushed a real worker's update past its 3 s timeout.
//
// - Every verification runs through one gate: at most VERIFY_CONCURRENCY at once (the pool has
//   4 threads), at most VERIFY_QUEUE waiting; a request from the address a worker last used
//   for its own id goes ahead of the others. A full queue refuses at once instead of piling up.
// - Failed verifications are counted per source address and per worker id (also ids that do not
//   exist, so both cost and answer the same) in fixed windows of FAILURE_WINDOW_MS. Past the
//   limit, verifications for that key are refused without any hashing until the window ends: a
//   worker wrongly caught by a limit waits at most one window. Requests from a worker's own last
//   address skip its id's limit, so a flood of guesses for its id from elsewhere cannot lock it out.
// - Both tables are bounded (MAX_TRACKED keys), so many addresses or ids cannot grow memory.
import type { Clock } from '../support/clock';
import { MAX_TRACKED_KEYS, WindowCounter } from '../support/window-counter';

export const VERIFY_CONCURRENCY = 2;
export const VERIFY_QUEUE = 64;
export const FAILURE_WINDOW_MS = 10_000;
export const FAILURES_PER_ADDRESS = 30;
export const FAILURES_PER_WORKER = 10;
export const MAX_TRACKED = MAX_TRACKED_KEYS;

export { WindowCounter } from '../support/window-counter';

/** Runs at most `concurrency` jobs at once, with a bounded queue and a lane that goes first. */
export class Gate {
  private running = 0;
  private readonly first: (() => void)[] = [];
  private readonly rest: (() => void)[] = [];

  constructor(
    private readonly concurrency = VERIFY_CONCURRENCY,
    private readonly queueLimit = VERIFY_QUEUE,
  ) {}

  /** Runs fn when a slot is free; undefined (fn not run) when the queue is full. */
  run<T>(fn: () => Promise<T>, priority: boolean): Promise<T> | undefined {
    if (this.running < this.concurrency) return this.start(fn);
    if (this.first.length + this.rest.length >= this.queueLimit) return undefined;
    return new Promise<T>((resolve, reject) => {
      (priority ? this.first : this.rest).push(() => this.start(fn).then(resolve, reject));
    });
  }

  private start<T>(fn: () => Promise<T>): Promise<T> {
    this.running++;
    const done = () => {
      this.running--;
      (this.first.shift() ?? this.rest.shift())?.();
    };
    const p = fn();
    p.then(done, done);
    return p;
  }
}

export type LoginRefusal = { refused: 'unknown' } | { refused: 'limited'; retryAfterMs: number };

/** The limits of one serve process. */
export class LoginLimits {
  readonly gate = new Gate();
  private readonly byAddress: WindowCounter;
  private readonly byWorker: WindowCounter;

  constructor(clock: Clock) {
    this.byAddress = new WindowCounter(clock, FAILURES_PER_ADDRESS, FAILURE_WINDOW_MS);
    this.byWorker = new WindowCounter(clock, FAILURES_PER_WORKER, FAILURE_WINDOW_MS);
  }

  /**
   * Runs a verification within the limits; `ownAddress` says the request comes from the address
   * the worker last used. A refusal comes back at once, without hashing.
   */
  async verify(id: string, address: string, ownAddress: boolean, check: () => Promise<boolean>): Promise<boolean | LoginRefusal> {
    const wait = Math.max(this.byAddress.blockedFor(address), ownAddress ? 0 : this.byWorker.blockedFor(id));
    if (wait > 0) return { refused: 'limited', retryAfterMs: wait };
    // Counted as failures up front, so that a burst of parallel guesses cannot all slip in
    // before the first one is counted; a success takes its count back.
    this.byAddress.add(address);
    this.byWorker.add(id);
    const run = this.gate.run(check, ownAddress);
    if (!run) {
      this.byAddress.refund(address);
      this.byWorker.refund(id);
      return { refused: 'limited', retryAfterMs: 1_000 };
    }
    const ok = await run;
    if (ok) {
      this.byAddress.refund(address);
      this.byWorker.refund(id);
    }
    return ok;
  }

  /** Keys tracked; for tests of the memory bound. */
  tracked(): { addresses: number; workers: number } {
    return { addresses: this.byAddress.size, workers: this.byWorker.size };
  }
}
