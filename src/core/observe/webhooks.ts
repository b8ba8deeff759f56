// Webhooks: job and worker status changes POSTed to the configured receivers, through a durable
// outbox. The relay turns new journal events into outbox rows in one transaction with its
// cursor (so each event is queued exactly once, whatever process made the change and whether or
// not serve was running then); the sender posts each receiver's rows oldest first, up to
// PARALLEL_PER_RECEIVER at once but never two of one job or one worker at once (so each job's and
// each worker's events arrive in order), and keeps a row until the receiver answers 2xx, retrying
// with growing pauses, also across restarts. Only a delivery the receiver refuses MAX_REFUSALS
// times is given up, so that it cannot hold up the receiver's queue forever. A receiver's outbox
// holds at most OUTBOX_LIMIT pending deliveries: past it the oldest are dropped (counted in
// /metrics, with a warning). Neither ever waits on a receiver while holding up a request.
import { createHash, createHmac } from 'node:crypto';
import { EventsRepo, type EventRow } from '../../db/events-repo';
import { type DeliveryRecord, WebhooksRepo } from '../../db/webhooks-repo';
import type { Repos } from '../repos';
import type { Clock } from '../support/clock';
import type { ManagerConfig } from '../support/config';
import type { Logger } from '../support/logger';
import { taskCounts } from '../read-models';
import type { WebhookConfig, WebhookEvent } from '../support/webhook-config';

/** POSTs a body; resolves with the HTTP status, rejects when there is no answer. */
/**
 * How log lines name a receiver: its scheme, host and port, and a fingerprint of the whole URL to
 * tell receivers on one host apart. Chat services put their secret in the URL's path
 * (`https://hooks.example.com/services/T0/B0/<secret>`), which is why `/api/webhooks` needs the
 * admin token; the log must not hand it to whoever reads the logs.
 */
export function receiverName(url: string): string {
  const fingerprint = createHash('sha256').update(url).digest('hex').slice(0, 8);
  try {
    return `${new URL(url).origin}/… (${fingerprint})`;
  } catch {
    return `(${fingerprint})`;
  }
}

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

/**
 * A redirect (3xx) counts as a refusal too: deliveries are never sent on to another address (the
 * signed body would go where the config does not say), and sending again gets the same answer.
 */
export function isRefusal(status: number): boolean {
  return REFUSALS.has(status) || (status >= 300 && status <= 399);
}

/**
 * Deliveries sent to one receiver at once. One at a time, a receiver answering in 8 s got 58
 * deliveries in 8 minutes while 1 943 waited; four keep a slow receiver's backlog moving without
 * swamping it.
 */
export const PARALLEL_PER_RECEIVER = 4;
/** Pending deliveries a receiver's outbox keeps; past it the oldest are dropped. */
export const OUTBOX_LIMIT = 10_000;
/** Pending deliveries of a receiver looked at to fill its parallel slots (oldest first). */
const LOOKAHEAD = 64;

/**
 * Refusals after which a delivery is given up (status failed, kept with its last error) and the
 * receiver's next delivery goes out. More than one, so that a receiver's brief mistake does not
 * lose the deliveries it refuses meanwhile.
 */
export const MAX_REFUSALS = 5;

/** The job or worker a delivery is about: its deliveries are sent one after the other, in order. */
function entityOf(d: DeliveryRecord): string {
  try {
    const doc = JSON.parse(d.body) as { job?: { id?: string }; worker?: { id?: string } };
    if (doc.job?.id) return `job:${doc.job.id}`;
    if (doc.worker?.id) return `worker:${doc.worker.id}`;
  } catch {
    // A body serve did not write: sent alone, in order with nothing.
  }
  return `delivery:${d.id}`;
}

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
  add(name: 'webhook_deliveries' | 'webhook_failures' | 'webhook_given_up' | 'webhook_dropped', n?: number): void;
}

export class Webhooks {
  readonly repo: WebhooksRepo;
  private readonly events: EventsRepo;
  /** Per receiver: the jobs and workers ("job:<id>", "worker:<id>") whose delivery is being sent now. */
  private readonly inFlight = new Map<string, Set<string>>();
  /** Receivers whose outbox overflowed since it was last under its limit (warned once). */
  private readonly overflowing = new Set<string>();

  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly config: () => ManagerConfig,
    private readonly metrics: DeliveryCounters,
    private readonly log: Logger,
    private readonly send: WebhookSender = fetchSender,
    private readonly outboxLimit = OUTBOX_LIMIT,
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
      if (batch.length === 0) break;
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
      if (batch.length < RELAY_PAGE) break;
    }
    if (queued > 0) this.capOutboxes();
    return queued;
  }

  /** Drops each receiver's oldest pending deliveries past OUTBOX_LIMIT; warns once per overflow. */
  private capOutboxes(): void {
    for (const h of this.config().webhooks) {
      const over = this.repo.pendingCountOf(h.url) - this.outboxLimit;
      if (over <= 0) {
        this.overflowing.delete(h.url);
        continue;
      }
      const dropped = this.repos.write(() => this.repo.dropOldest(h.url, over, this.clock.now(), `the receiver's outbox was full (${this.outboxLimit} pending)`));
      this.metrics.add('webhook_dropped', dropped);
      if (!this.overflowing.has(h.url)) {
        this.overflowing.add(h.url);
        this.log.warn('webhook outbox full: the oldest pending deliveries are dropped (see flamenco_webhook_dropped_total)', {
          receiver: receiverName(h.url),
          limit: this.outboxLimit,
          dropped,
        });
      }
    }
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
   * Sends what is due: each receiver's oldest pending deliveries, up to PARALLEL_PER_RECEIVER at
   * once, then the next while they succeed. Resolves when the sends it started are done; serve
   * does not wait for it.
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
        this.log.warn('webhook deliveries dropped: receiver no longer configured', { receiver: receiverName(head.url), dropped: n });
        continue;
      }
      // The oldest delivery waits for its retry: the receiver is failing, so nothing else is sent.
      if (head.next_attempt > now) continue;
      const busy = new Set<string>();
      this.inFlight.set(head.url, busy);
      runs.push(this.run(hook, busy).finally(() => this.inFlight.delete(head.url)));
    }
    return Promise.all(runs).then(() => undefined);
  }

  /**
   * Keeps up to PARALLEL_PER_RECEIVER sends going to one receiver, oldest deliveries first, one
   * per job or worker at a time; stops at the first failure (the receiver waits for its retry)
   * or after RUN_LENGTH deliveries.
   */
  private run(hook: WebhookConfig, busy: Set<string>): Promise<void> {
    let sent = 0;
    let failed = false;
    const sending = new Set<number>();
    return new Promise<void>((resolve) => {
      const fill = () => {
        if (!failed && sent < RUN_LENGTH) {
          const now = this.clock.now();
          // Entities with an older delivery still pending (sending, or waiting for its retry) wait for it.
          const held = new Set(busy);
          for (const d of this.repo.pendingOf(hook.url, LOOKAHEAD)) {
            if (busy.size >= PARALLEL_PER_RECEIVER || sent >= RUN_LENGTH) break;
            const key = entityOf(d);
            if (sending.has(d.id) || held.has(key)) {
              held.add(key);
              continue;
            }
            held.add(key);
            if (d.next_attempt > now) continue;
            busy.add(key);
            sending.add(d.id);
            sent++;
            void this.attempt(hook, d)
              .catch((err: unknown) => {
                this.log.warn('webhook delivery could not be recorded', { receiver: receiverName(hook.url), error: String(err) });
                return false;
              })
              .then((done) => {
                busy.delete(key);
                sending.delete(d.id);
                if (!done) failed = true;
                fill();
              });
          }
        }
        if (busy.size === 0) resolve();
      };
      fill();
    });
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
      if (d.attempts > 0) this.log.info('webhook delivered after retries', { receiver: receiverName(hook.url), delivery: d.id, attempts: d.attempts + 1 });
      return true;
    }
    this.metrics.add('webhook_failures');
    if (refused && d.refusals + 1 >= MAX_REFUSALS) {
      this.repos.write(() => this.repo.givenUp(d.id, now, error));
      this.metrics.add('webhook_given_up');
      this.log.warn('webhook delivery given up: the receiver refused it; sending its next ones', {
        receiver: receiverName(hook.url),
        delivery: d.id,
        event_id: d.event_id,
        refusals: MAX_REFUSALS,
        error,
      });
      return true;
    }
    const next = now + retryDelay(d.attempts + 1);
    this.repos.write(() => this.repo.retry(d.id, now, next, error, refused));
    if (d.attempts === 0) this.log.warn('webhook delivery failed; retrying', { receiver: receiverName(hook.url), delivery: d.id, error });
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
        id: d.id,
        url: d.url,
        event: d.event,
        event_id: d.event_id,
        status: d.status,
        attempts: d.attempts,
        created: iso(d.created)!,
        last_attempt: iso(d.last_attempt),
        next_attempt: d.status === 'pending' ? iso(d.next_attempt) : null,
        last_error: d.last_error,
      })),
    };
  }
}
