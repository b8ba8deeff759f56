// Submissions that need no token (the Blender add-on's /api/v3/jobs and its checks, from trusted_networks) are
// limited per source address, so that one machine on the network cannot fill the queue and the
// database faster than the farm can look at it.
import { WindowCounter } from '../support/window-counter';
import type { Clock } from '../support/clock';
import { RateLimitedError } from '../support/errors';
import { TOKENLESS_SUBMISSION_WINDOW_MS, TOKENLESS_SUBMISSIONS_PER_WINDOW } from '../support/limits';

export class SubmissionLimits {
  private readonly byAddress: WindowCounter;

  constructor(clock: Clock) {
    this.byAddress = new WindowCounter(clock, TOKENLESS_SUBMISSIONS_PER_WINDOW, TOKENLESS_SUBMISSION_WINDOW_MS);
  }

  /** Counts a tokenless submission from `address`; throws RateLimitedError past the limit. */
  take(address: string): void {
    const wait = this.byAddress.blockedFor(address);
    if (wait > 0) {
      throw new RateLimitedError(
        `too many submissions from ${address}: at most ${TOKENLESS_SUBMISSIONS_PER_WINDOW} checks and submissions a minute without the admin token; try again in ${Math.ceil(wait / 1000)} s`,
        wait,
      );
    }
    this.byAddress.add(address);
  }
}
