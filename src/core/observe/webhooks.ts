// Webhooks: job and worker status changes POSTed to the configured receivers, through a durable
// outbox. The relay turns new journal events into outbox rows in one transaction with its
// cursor (so each event is queued exactly once, whatever process made the change and whether or
// not serve was running then); the sender posts each receiver's rows oldest first, one at a
// time, and keeps a row until the receiver answers 2xx, retrying with growing pauses, also
// across restarts. Only a delivery the receiver refuses MAX_REFUSALS times is given up, so that
// it cannot hold up the receiver's queue forever. Neither ever waits on a receiver while holding
// up a request.
import { createHmac } from 'node:crypto';
import { EventsRepo, type EventRow } from '../../db/events-repo';
import { type DeliveryRecord, WebhooksRepo } from '../../db/webhooks-repo';
import type { Repos } from '../repos';
import type { Clock } from '../support/clock';
import type { ManagerConfig } from '../support/config';
import type { Logger } from '../support/logger';
import { taskCounts } from '../read-models';
import type { WebhookConfig, WebhookEvent } from '../support/webhook-config';

/** POSTs a body; resolves with the HTTP status, rejects when there is no answer. */
export type WebhookSender = (url: string, body: string, headers: Record<string, string>) => Promise<number>;

/** A receiver gets this long to answer. */
export const SEND_TIMEOUT_MS = 10_000;

export const fetchSender: WebhookSender = async (url, body, headers) => {
  const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  // The answer's body is not used: never read an unbounded body from somewhere else.
  await res.body?.cancel();
  return res.status;
};

/** The pause before attempt n+1 after n failed ones: 5 s, 10 s, 20 s … at most 10 minutes. */
export function retryDelay(failedAttempts: number): number {
  return Math.min(5000 * 2 ** Math.max(0, failedAttempts - 1), 10 * 60_000);
}

/**
 * Answers that judge the delivery itself: its body is malformed (400), too large (413), of the
 * wrong type (415) or not acceptable (422), and sending the same body again will not change the
 * receiver's mind. Every other failure is retried without limit: a receiver that is down, times
 * out, answers 5xx or asks to come back later (408, 429), and one whose setup is wrong for now (a
 * wrong path, 404, or credentials, 401 or 403, say, while it is being deployed): once it is put
 * right, every event still arrives.
 */
const REFUSALS: ReadonlySet<number> = new Set([400, 413, 415, 422]);

export function isRefusal(status: number): boolean {
  return REFUSALS.has(status);
}

/**
 * Refusals after which a delivery is given up (status failed, kept with its last error) and the
 * receiver's next delivery goes out. More than one, so that a receiver's brief mistake does not
 * lose the deliveries it refuses meanwhile.
 */
export const MAX_REFUSALS = 5;

export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Settings key of the relay's position in the events journal. */
const CURSOR_KEY = 'webhook_cursor';
const RELAY_PAGE = 1000;
/**
 * Events the relay reads in one pass (a multiple of RELAY_PAGE), so that a long backlog, after
 * serve was stopped for days, never holds the event loop for long: the next pass goes on.
 */
export const RELAY_PASS_LIMIT = 10_000;
/** Deliveries one receiver is sent in a row before others get their turn. */
const RUN_LENGTH = 200;
/** Finished deliveries kept for `webhooks` and /api/webhooks. */
const KEEP_FINISHED = 10_000;

export interface DeliveryView {
  id: number;
  url: string;
  event: string;
  event_id: number;
  status: string;
  attempts: number;
  created: string;
  last_attempt: string | null;
  next_attempt: string | null;
  last_error: string | null;
}

/** Where the sender counts its deliveries (observe/metrics.ts). */
export interface DeliveryCounters {
  add(name: 'webhook_deliveries' | 'webhook_failures' | 'webhook_given_up'): void;
}

export class Webhooks {
  readonly repo: WebhooksRepo;
  private readonly events: EventsRepo;
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly config: () => ManagerConfig,
    private readonly metrics: DeliveryCounters,
    private readonly log: Logger,
    private readonly send: WebhookSender = fetchSender,
  ) {
    this.repo = new WebhooksRepo(repos.db);
    this.events = new EventsRepo(repos.db);
  }

  /** The relay's position: events after it are not queued yet (set by migration 5, then here). */
  cursor(): number {
    return Number(this.repos.settings.get(CURSOR_KEY) ?? 0);
  }

  /**
   * Queues the webhooks of the journal's new events, at most RELAY_PASS_LIMIT of them (the rest
   * at the next pass). Returns how many deliveries were queued.
   */
  relay(): number {
    if (this.config().webhooks.length === 0) {
      // Nothing to queue: move past the journal's events without reading them.
      const last = this.events.lastId();
      if (last > this.cursor()) this.repos.write(() => this.repos.settings.set(CURSOR_KEY, String(last)));
      return 0;
    }
    let queued = 0;
    for (let read = 0; read < RELAY_PASS_LIMIT; ) {
      const batch = this.events.after(this.cursor(), RELAY_PAGE);
      if (batch.length === 0) return queued;
      read += batch.length;
      const hooks = this.config().webhooks;
      this.repos.write(() => {
        for (const e of batch) {
          const doc = hooks.length > 0 ? this.document(e) : undefined;
          if (!doc) continue;
          for (const h of hooks) {
            if (!h.events.includes(doc.event)) continue;
            this.repo.enqueue({ url: h.url, event: doc.event, event_id: e.id, body: JSON.stringify(doc), created: this.clock.now() });
            queued++;
          }
        }
        this.repos.settings.set(CURSOR_KEY, String(batch[batch.length - 1]!.id));
      });
      if (batch.length < RELAY_PAGE) return queued;
    }
    return queued;
  }

  /** The body of a journal event's webhook, or undefined when it is not a status change. */
  private document(e: EventRow): ({ event: WebhookEvent } & Record<string, unknown>) | undefined {
    if (e.status === e.previous) return undefined;
    const time = new Date(e.time).toISOString();
    if (e.kind === 'job') {
      const j = this.repos.jobs.get(e.entity);
      return {
        event: 'job-status',
        event_id: e.id,
        time,
        job: {
          id: e.entity,
          name: j?.name ?? e.detail,
          status: e.status,
          previous_status: e.previous,
          // As they are when the webhook is queued (within a second of the change).
          task_counts: j ? taskCounts(this.repos, j.id) : {},
          last_rendered: j?.last_output ?? null,
        },
      };
    }
    if (e.kind === 'worker') {
      return { event: 'worker-status', event_id: e.id, time, worker: { id: e.entity, nickname: e.detail, status: e.status, previous_status: e.previous } };
    }
    return undefined;
  }

  /**
   * Sends what is due: each receiver's oldest pending delivery, then the next while they succeed.
   * Resolves when the sends it started are done; serve does not wait for it.
   */
  deliver(): Promise<void> {
    const now = this.clock.now();
    const hooks = new Map(this.config().webhooks.map((h) => [h.url, h]));
    const runs: Promise<void>[] = [];
    for (const head of this.repo.heads()) {
      if (this.inFlight.has(head.url)) continue;
      const hook = hooks.get(head.url);
      if (!hook) {
        const n = this.repo.dropUrl(head.url, now, 'the receiver is no longer in the webhooks config');
        this.log.warn('webhook deliveries dropped: receiver no longer configured', { url: head.url, dropped: n });
        continue;
      }
      if (head.next_attempt > now) continue;
      this.inFlight.add(head.url);
      runs.push(this.run(hook, head).finally(() => this.inFlight.delete(head.url)));
    }
    return Promise.all(runs).then(() => undefined);
  }

  private async run(hook: WebhookConfig, first: DeliveryRecord): Promise<void> {
    let d: DeliveryRecord | undefined = first;
    for (let n = 0; d && n < RUN_LENGTH; n++) {
      if (!(await this.attempt(hook, d))) return;
      d = this.repo.headOf(hook.url);
      if (d && d.next_attempt > this.clock.now()) return;
    }
  }

  /** One POST; records the outcome. True when the delivery is done with (taken or given up), so the next may go. */
  private async attempt(hook: WebhookConfig, d: DeliveryRecord): Promise<boolean> {
    let error: string | undefined;
    let refused = false;
    try {
      const status = await this.send(hook.url, d.body, {
        'Content-Type': 'application/json',
        'X-Flamenco-Signature': signature(d.body, hook.secret),
        'X-Flamenco-Event': d.event,
        'X-Flamenco-Delivery': String(d.id),
      });
      if (status < 200 || status > 299) {
        error = `the receiver answered ${status}`;
        refused = isRefusal(status);
      }
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      error = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    }
    const now = this.clock.now();
    if (error === undefined) {
      this.repos.write(() => this.repo.delivered(d.id, now));
      this.metrics.add('webhook_deliveries');
      if (d.attempts > 0) this.log.info('webhook delivered after retries', { url: hook.url, delivery: d.id, attempts: d.attempts + 1 });
      return true;
    }
    this.metrics.add('webhook_failures');
    if (refused && d.refusals + 1 >= MAX_REFUSALS) {
      this.repos.write(() => this.repo.givenUp(d.id, now, error));
      this.metrics.add('webhook_given_up');
      this.log.warn('webhook delivery given up: the receiver refused it; sending its next ones', {
        url: hook.url, delivery: d.id, event_id: d.event_id, refusals: MAX_REFUSALS, error,
      });
      return true;
    }
    const next = now + retryDelay(d.attempts + 1);
    this.repos.write(() => this.repo.retry(d.id, now, next, error, refused));
    if (d.attempts === 0) this.log.warn('webhook delivery failed; retrying', { url: hook.url, delivery: d.id, error });
    return false;
  }

  prune(): number {
    return this.repo.prune(KEEP_FINISHED);
  }

  /** Recent deliveries, newest first, for `webhooks` and /api/webhooks. */
  recent(limit: number): { pending: number; failed: number; deliveries: DeliveryView[] } {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      pending: this.repo.pendingCount(),
      failed: this.repo.failedCount(),
      deliveries: this.repo.recent(limit).map((d) => ({
        id: d.id, url: d.url, event: d.event, event_id: d.event_id, status: d.status, attempts: d.attempts,
        created: iso(d.created)!, last_attempt: iso(d.last_attempt), next_attempt: d.status === 'pending' ? iso(d.next_attempt) : null,
        last_error: d.last_error,
      })),
    };
  }
}
