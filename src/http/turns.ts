// Reads without the admin token take turns: at most one is computed per turn of serve's event
// loop, so that the workers' requests, which arrive in between, are answered between them.
// Measured with 16 tokenless clients each reading a 100 000-task job's first 1 000 tasks in a
// loop: computed as they came, they held the loop back to back and a worker's /task waited 0.8 s
// (median) to 7.8 s (p99); taking turns, see docs/limits.md for the figures.
import { BusyError } from '../core/support/errors';

/** Reads that may wait for their turn; more are answered 503 at once. */
export const MAX_WAITING_READS = 256;

export class TurnGate {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly maxWaiting = MAX_WAITING_READS) {}

  /** Resolves in a later turn of the event loop than any other caller's. */
  turn(): Promise<void> {
    if (this.waiting.length >= this.maxWaiting) {
      throw new BusyError('too many reads without the admin token are waiting; try again in a moment');
    }
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // An immediate queued while immediates run waits for the next turn: requests read from the
    // network in between are handled first.
    setImmediate(() => {
      this.scheduled = false;
      this.waiting.shift()?.();
      if (this.waiting.length > 0) this.schedule();
    });
  }
}
