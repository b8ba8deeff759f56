// Reads the events journal (written by database triggers, see db/migrations.ts) and hands new
// events to serve's listeners: the events stream, the metrics counters. Changes made by CLI
// commands in other processes land in the same journal, so they are read the same way; a poll
// that finds nothing is one index lookup.
import { type EventRow, EventsRepo } from '../../db/events-repo';
import type { DB } from '../../db/open';

export type { EventRow };

export type EventListener = (events: readonly EventRow[]) => void;

/** Events read per query; a pass reads at most PASS_LIMIT so that one poll never holds the loop long. */
const PAGE = 1000;
const PASS_LIMIT = 10_000;
/** How many events the journal keeps for clients that reconnect (Last-Event-ID) and for webhooks. */
export const JOURNAL_KEEP = 100_000;
/** Events deleted per pruning pass (a few milliseconds of work). */
const PRUNE_STEP = 5000;

export class EventFeed {
  readonly repo: EventsRepo;
  private cursor: number;
  private readonly listeners = new Set<EventListener>();
  /** Lowest event id someone still has to read durably (the webhook relay); pruning stops below it. */
  private readonly holds = new Set<() => number>();

  constructor(private readonly db: DB) {
    this.repo = new EventsRepo(db);
    // Listeners hear what happens from now on; history is for Last-Event-ID replays.
    this.cursor = this.repo.lastId();
  }

  /** The id of the newest event handed to listeners. */
  position(): number {
    return this.cursor;
  }

  subscribe(fn: EventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Events after `id` from the journal, or undefined when some of them were pruned already. */
  replay(id: number, limit: number): EventRow[] | undefined {
    if (id > this.cursor || this.cursor - id > limit) return undefined;
    if (id === this.cursor) return [];
    const first = this.repo.firstId();
    if (first === undefined || first > id + 1) return undefined;
    return this.repo.after(id, this.cursor - id);
  }

  /** Reads what was written since the last poll and tells the listeners. */
  poll(): number {
    // This connection also carries serve's group commit: inside its open transaction we would
    // read changes that are not committed yet (and whose event ids a failed commit would give
    // out again). They are read at the next poll, after the commit.
    if (this.db.inTransaction) return 0;
    let read = 0;
    while (read < PASS_LIMIT) {
      const batch = this.repo.after(this.cursor, PAGE);
      if (batch.length === 0) break;
      this.cursor = batch[batch.length - 1]!.id;
      read += batch.length;
      for (const l of this.listeners) {
        try {
          l(batch);
        } catch {
          // A listener's failure is its own; the others still hear the events.
        }
      }
      if (batch.length < PAGE) break;
    }
    return read;
  }

  holdPruning(lowestNeeded: () => number): void {
    this.holds.add(lowestNeeded);
  }

  /**
   * Keeps the newest JOURNAL_KEEP events, and every event a durable reader has not read yet.
   * Deletes at most PRUNE_STEP per call, so that one call never holds the event loop for long.
   */
  prune(keep = JOURNAL_KEEP): number {
    let through = this.repo.lastId() - keep;
    through = Math.min(through, this.cursor);
    for (const h of this.holds) through = Math.min(through, h() - 1);
    return through > 0 ? this.repo.pruneThrough(through, PRUNE_STEP) : 0;
  }
}

/** An event as clients see it (the events stream, webhooks): the journal row in the words of the API. */
export function eventDocument(e: EventRow): Record<string, unknown> {
  const time = new Date(e.time).toISOString();
  switch (e.kind) {
    case 'job':
      return { id: e.entity, name: e.detail, status: e.status, previous: e.previous, time };
    case 'task':
      return { id: e.entity, job: e.job_id, status: e.status, previous: e.previous, worker: e.worker_id, time };
    case 'worker':
      return { id: e.entity, nickname: e.detail, status: e.status, previous: e.previous, time };
    case 'last-rendered':
      return { job: e.job_id, path: e.detail, time };
  }
}
