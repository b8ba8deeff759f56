// SQL for the webhook outbox (migrations 5 and 7).
import type { DB } from './open';
import { StatementCache } from './statements';

export interface DeliveryRecord {
  id: number;
  url: string;
  event: string;
  event_id: number;
  body: string;
  status: 'pending' | 'delivered' | 'dropped' | 'failed';
  attempts: number;
  /** Attempts the receiver answered with a refusal (webhooks.ts, isRefusal). */
  refusals: number;
  next_attempt: number;
  last_attempt: number | null;
  last_error: string | null;
  created: number;
}

export class WebhooksRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  enqueue(d: Pick<DeliveryRecord, 'url' | 'event' | 'event_id' | 'body' | 'created'>): void {
    this.s.get('INSERT INTO webhook_deliveries (url, event, event_id, body, next_attempt, created) VALUES (@url, @event, @event_id, @body, @created, @created)').run(d);
  }

  /** The oldest pending delivery of each receiver. */
  heads(): DeliveryRecord[] {
    return this.s
      .get(`SELECT d.* FROM webhook_deliveries d
            JOIN (SELECT min(id) AS id FROM webhook_deliveries WHERE status = 'pending' GROUP BY url) h ON h.id = d.id`)
      .all() as DeliveryRecord[];
  }

  /** The oldest pending delivery to one receiver. */
  headOf(url: string): DeliveryRecord | undefined {
    return this.s.get("SELECT * FROM webhook_deliveries WHERE url = ? AND status = 'pending' ORDER BY id LIMIT 1").get(url) as DeliveryRecord | undefined;
  }

  /** A receiver's oldest pending deliveries, oldest first. */
  pendingOf(url: string, limit: number): DeliveryRecord[] {
    return this.s.get("SELECT * FROM webhook_deliveries WHERE url = ? AND status = 'pending' ORDER BY id LIMIT ?").all(url, limit) as DeliveryRecord[];
  }

  pendingCountOf(url: string): number {
    return this.s.get("SELECT count(*) FROM webhook_deliveries WHERE url = ? AND status = 'pending'").pluck().get(url) as number;
  }

  /** Drops a receiver's `n` oldest pending deliveries (its outbox is full); returns how many. */
  dropOldest(url: string, n: number, now: number, why: string): number {
    return this.s
      .get(`UPDATE webhook_deliveries SET status = 'dropped', last_attempt = ?, last_error = ?
            WHERE id IN (SELECT id FROM webhook_deliveries WHERE url = ? AND status = 'pending' ORDER BY id LIMIT ?)`)
      .run(now, why, url, n).changes;
  }

  delivered(id: number, now: number): void {
    this.s.get("UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_attempt = ?, last_error = NULL WHERE id = ?").run(now, id);
  }

  /** A failed attempt; the delivery is tried again at `next`. */
  retry(id: number, now: number, next: number, error: string, refused: boolean): void {
    this.s
      .get('UPDATE webhook_deliveries SET attempts = attempts + 1, refusals = refusals + ?, last_attempt = ?, next_attempt = ?, last_error = ? WHERE id = ?')
      .run(refused ? 1 : 0, now, next, error, id);
  }

  /** The last refusal: the delivery is kept as failed and no longer holds up the receiver's queue. */
  givenUp(id: number, now: number, error: string): void {
    this.s
      .get("UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, refusals = refusals + 1, last_attempt = ?, last_error = ? WHERE id = ?")
      .run(now, error, id);
  }

  /** Drops every pending delivery to a receiver that is no longer configured. */
  dropUrl(url: string, now: number, why: string): number {
    return this.s.get("UPDATE webhook_deliveries SET status = 'dropped', last_attempt = ?, last_error = ? WHERE url = ? AND status = 'pending'").run(now, why, url).changes;
  }

  recent(limit: number): DeliveryRecord[] {
    return this.s.get('SELECT * FROM webhook_deliveries ORDER BY id DESC LIMIT ?').all(limit) as DeliveryRecord[];
  }

  pendingCount(): number {
    return this.s.get("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'").pluck().get() as number;
  }

  /** Deliveries given up, of those still kept (see prune). */
  failedCount(): number {
    return this.s.get("SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'").pluck().get() as number;
  }

  /** Forgets finished deliveries but the newest `keep`; pending ones are always kept. */
  prune(keep: number): number {
    return this.s.get("DELETE FROM webhook_deliveries WHERE status != 'pending' AND id <= (SELECT max(id) FROM webhook_deliveries) - ?").run(keep).changes;
  }
}
