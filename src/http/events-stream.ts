// GET /api/events: the events journal as Server-Sent Events. Each client has a bounded buffer;
// one that cannot keep up is sent a "resync" event and dropped, so a slow or stuck client costs
// a bounded amount of memory and never holds up the event loop (the writes never wait).
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { type EventFeed, type EventRow, eventDocument } from '../core/observe/feed';
import { BusyError, RateLimitedError, ValidationError } from '../core/support/errors';
import { EVENTS_RETRY_MS } from '../core/support/event-stream';
import type { Reply } from './reply';
import { addressKey, PerAddress } from './address-limits';

/** Unsent bytes one client may have before it is dropped. */
export const CLIENT_BUFFER_LIMIT = 256 * 1024;
/** More clients than this are refused with 503. */
const MAX_CLIENTS = 1000;
/**
 * A replay of more events than this (a client long gone) is answered with "resync" instead, and
 * so is one whose text would not fit the client's buffer: a reconnecting client gets no more
 * unsent bytes than a connected one may have, and the journal is read for at most this many.
 */
export const REPLAY_LIMIT = 2000;
/** A comment line this often keeps proxies from closing an idle stream and finds dead peers. */
const HEARTBEAT_MS = 15_000;
/** A dropped client whose socket does not take the last bytes in this long is cut off. */
const DROP_GRACE_MS = 10_000;
/** Retry-After of a stream refused for MAX_CLIENTS or its address's limit: a place comes free only when a client leaves. */
const FULL_RETRY_AFTER_MS = 10_000;
/** The last frame of every stream when serve stops: a comment (EventSource ignores it), then the end. */
export const STOPPING_FRAME = ': serve is stopping; reconnect in a moment\n\n';
/**
 * Clients written to in one turn of the event loop. A batch of events goes to its clients a slice
 * at a time, so that worker requests are answered between the slices: with fifty clients of every
 * event during full dispatch, writing a batch to all of them at once holds the loop for milliseconds.
 */
export const CLIENTS_PER_TURN = 8;
/** Batches per client the outbox may hold before it is written at once. */
const BATCHES_BEHIND = 4;

function frame(e: EventRow): string {
  return `id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(eventDocument(e))}\n\n`;
}

/** Task ids a "changes" frame lists at most; past that it says `more_tasks` instead. */
export const CHANGES_TASK_LIMIT = 200;

/**
 * One frame for a batch of events, for clients that only need to know what to fetch again (the
 * dashboard, `?coalesce=1`): the jobs, tasks, workers and last-rendered images that changed.
 * While the farm dispatches hundreds of tasks a second, this is a small frame per batch instead
 * of every event for every open browser.
 */
function changesFrame(events: readonly EventRow[]): string {
  const jobs = new Set<string>();
  const workers = new Set<string>();
  const tasks = new Map<string, string>();
  const rendered = new Set<string>();
  for (const e of events) {
    if (e.kind === 'job') jobs.add(e.entity);
    else if (e.kind === 'worker') workers.add(e.entity);
    else if (e.kind === 'last-rendered' && e.job_id) rendered.add(e.job_id);
    else if (e.kind === 'task') {
      if (e.job_id) jobs.add(e.job_id);
      if (e.worker_id) workers.add(e.worker_id);
      tasks.set(e.entity, e.job_id ?? '');
    }
  }
  const listed = [...tasks].slice(0, CHANGES_TASK_LIMIT).map(([id, job]) => ({ id, job }));
  const data = { jobs: [...jobs], tasks: listed, more_tasks: tasks.size > listed.length, workers: [...workers], last_rendered: [...rendered] };
  return `id: ${events[events.length - 1]!.id}\nevent: changes\ndata: ${JSON.stringify(data)}\n\n`;
}

function resyncFrame(position: number, reason: string): string {
  return `id: ${position}\nevent: resync\ndata: ${JSON.stringify({ reason })}\n\n`;
}

interface Client {
  stream: Readable;
  /** The client's address (addressKey), counted in the per-address limit while the stream is open. */
  address: string;
  /** One "changes" frame per batch instead of every event (`?coalesce=1`). */
  coalesce: boolean;
}

export class EventStreamHub {
  private readonly clients = new Set<Client>();
  private heartbeat?: NodeJS.Timeout;
  /** Writes not made yet, in the order they were asked for; they share each text's bytes. */
  private readonly outbox: { client: Client; bytes: Buffer }[] = [];
  private outboxAt = 0;
  private draining?: NodeJS.Immediate;
  private readonly drained = new Set<() => void>();

  private readonly byAddress = new PerAddress();

  constructor(
    private readonly feed: EventFeed,
    private readonly limits: { perAddress?: () => number; refused?: (address: string, limit: number) => void } = {},
  ) {
    feed.subscribe((events) => {
      if (this.clients.size === 0 || events.length === 0) return;
      // Each form is made only if some client wants it, and once for all of them.
      let full: string | undefined;
      let changes: string | undefined;
      this.broadcast((c) => {
        if (c.coalesce) {
          changes ??= changesFrame(events);
          return changes;
        }
        full ??= events.map(frame).join('');
        return full;
      });
    });
  }

  get size(): number {
    return this.clients.size;
  }

  open(req: IncomingMessage, coalesce = false): Reply {
    if (this.clients.size >= MAX_CLIENTS) throw new BusyError(`too many event streams open (${MAX_CLIENTS})`, FULL_RETRY_AFTER_MS);
    const address = addressKey(req.socket?.remoteAddress);
    const perAddress = this.limits.perAddress?.() ?? MAX_CLIENTS;
    if (!this.byAddress.take(address, perAddress)) {
      this.limits.refused?.(address, perAddress);
      throw new RateLimitedError(`too many event streams open from ${address} (max_event_streams_per_address: ${perAddress}); close some and try again`, FULL_RETRY_AFTER_MS);
    }
    const stream = new Readable({ read() {} });
    const client: Client = { stream, coalesce, address };
    const position = this.feed.position();
    let start = `retry: ${EVENTS_RETRY_MS}\n\n`;
    const last = lastEventId(req);
    if (last === undefined) {
      start += `id: ${position}\nevent: ready\ndata: ${JSON.stringify({ position })}\n\n`;
    } else {
      const missed = this.feed.replay(last, REPLAY_LIMIT);
      const text = missed === undefined || missed.length === 0 ? '' : coalesce ? changesFrame(missed) : missed.map(frame).join('');
      if (missed === undefined || Buffer.byteLength(text) > CLIENT_BUFFER_LIMIT) start += resyncFrame(position, 'the events since Last-Event-ID are too many or no longer kept');
      else start += text;
    }
    stream.push(start);
    this.clients.add(client);
    stream.once('close', () => this.remove(client));
    this.heartbeat ??= setInterval(() => this.broadcast(() => ': ping\n\n'), HEARTBEAT_MS).unref();
    return {
      status: 200,
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Accel-Buffering': 'no',
        // A stream ends only when serve stops or drops the client; its connection ends with it,
        // instead of idling on until a stopping server cuts it off.
        Connection: 'close',
      },
      stream,
    };
  }

  private remove(c: Client): void {
    if (this.clients.delete(c)) this.byAddress.release(c.address);
    if (this.clients.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** Sends each client its text; a text is encoded once for every client it goes to. */
  private broadcast(textFor: (c: Client) => string): void {
    // Encoded once per text: with many clients, encoding per client cost more than the writes.
    const encoded = new Map<string, Buffer>();
    for (const client of this.clients) {
      const text = textFor(client);
      if (text === '') continue;
      let bytes = encoded.get(text);
      if (!bytes) {
        bytes = Buffer.from(text, 'utf8');
        encoded.set(text, bytes);
      }
      this.outbox.push({ client, bytes });
    }
    // Batches come every 250 ms; should serve's loop fall so far behind that the outbox holds
    // several of them, the rest is written now: the outbox never grows without bound.
    if (this.outbox.length - this.outboxAt > BATCHES_BEHIND * this.clients.size) this.drain(Number.POSITIVE_INFINITY);
    else this.draining ??= setImmediate(() => this.drain());
  }

  /** Makes the next `slice` of the outbox's writes; a client over its buffer limit is dropped instead. */
  private drain(slice = CLIENTS_PER_TURN): void {
    clearImmediate(this.draining);
    this.draining = undefined;
    const end = Math.min(this.outbox.length, this.outboxAt + slice);
    for (; this.outboxAt < end; this.outboxAt++) {
      const { client, bytes } = this.outbox[this.outboxAt]!;
      if (!this.clients.has(client)) continue;
      if (client.stream.readableLength + bytes.length > CLIENT_BUFFER_LIMIT) this.drop(client);
      else client.stream.push(bytes);
    }
    if (this.outboxAt < this.outbox.length) this.draining = setImmediate(() => this.drain());
    else this.emptyOutbox();
  }

  /** Forgets the outbox (all written, or serve stopping) and tells those waiting for it. */
  private emptyOutbox(): void {
    clearImmediate(this.draining);
    this.draining = undefined;
    this.outbox.length = 0;
    this.outboxAt = 0;
    for (const done of this.drained) done();
    this.drained.clear();
  }

  /** Resolves once every write asked for so far has been made (or its client dropped). */
  flushed(): Promise<void> {
    if (this.outboxAt >= this.outbox.length) return Promise.resolve();
    return new Promise((resolve) => this.drained.add(resolve));
  }

  /** Tells the client to fetch the state afresh, ends its stream, and cuts it off if it does not drain. */
  private drop(c: Client): void {
    this.remove(c);
    c.stream.push(resyncFrame(this.feed.position(), 'the client did not keep up; fetch the state again and reconnect'));
    this.end(c);
  }

  private end(c: Client): void {
    c.stream.push(null);
    const cut = setTimeout(() => c.stream.destroy(), DROP_GRACE_MS).unref();
    c.stream.once('end', () => clearTimeout(cut));
  }

  /**
   * Ends every stream (serve is stopping) with a last frame saying so, then the end of the
   * response (not a reset): clients see the end and reconnect later.
   */
  close(): void {
    this.emptyOutbox();
    for (const c of [...this.clients]) {
      this.remove(c);
      c.stream.push(STOPPING_FRAME);
      this.end(c);
    }
  }
}

function lastEventId(req: IncomingMessage): number | undefined {
  const h = req.headers['last-event-id'];
  if (typeof h !== 'string' || !/^\d{1,15}$/.test(h.trim())) return undefined;
  return Number(h.trim());
}

/** `?coalesce=1` (or `true`): one "changes" frame per batch; absent or `0`: every event. */
export function coalesceParam(value: string | null): boolean {
  if (value === null || value === '0' || value === 'false') return false;
  if (value === '' || value === '1' || value === 'true') return true;
  throw new ValidationError('coalesce: must be 1 or 0');
}
