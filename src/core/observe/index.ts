// What serve offers for watching the farm, composed once per manager: the events feed, the
// metrics that follow it, the last-rendered images. Built on first use, so CLI commands never pay for it.
import type { Manager } from '../manager';
import { EventFeed, JOURNAL_KEEP } from './feed';
import { LastRendered } from './last-rendered';
import { Metrics } from './metrics';

export class Observability {
  readonly feed: EventFeed;
  readonly metrics: Metrics;
  readonly lastRendered: LastRendered;

  constructor(m: Manager) {
    this.feed = new EventFeed(m.repos.db);
    this.metrics = new Metrics(m.repos.db, m.dataDir);
    this.feed.subscribe(this.metrics.onEvents);
    this.lastRendered = new LastRendered(m.repos);
  }

  /** Where serve's periodic work for these lives (see background.ts). */
  register(m: Manager): void {
    // A dashboard sees a change within a quarter of a second; an empty poll is one index lookup.
    m.timers.add('events feed', 250, () => this.feed.poll());
    m.timers.add('events journal pruning', 60_000, () => this.feed.prune(JOURNAL_KEEP));
  }
}
