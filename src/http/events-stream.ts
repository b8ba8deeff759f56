// GET /api/events: the events journal as Server-Sent Events. Each client has a bounded buffer;
// one that cannot keep up is sent a "resync" event and dropped, so a slow or stuck client costs
// a bounded amount of memory and never holds up the event loop (the writes never wait).
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { type EventFeed, type EventRow, eventDocument } from '../core/observe/feed';
import { HttpError } from './errors';
import type { Reply } from './reply';

/** Unsent bytes one client may have before it is dropped. */
export const CLIENT_BUFFER_LIMIT = 256 * 1024;
/** More clients than this are refused with 503. */
const MAX_CLIENTS = 1000;
/** A replay of more events than this (a client long gone) is answered with "resync" instead. */
const REPLAY_LIMIT = 10_000;
/** A comment line this often keeps proxies from closing an idle stream and finds dead peers. */
const HEARTBEAT_MS = 15_000;
/** A dropped client whose socket does not take the last bytes in this long is cut off. */
const DROP_GRACE_MS = 10_000;
/** How long EventSource waits before reconnecting. */
const RETRY_MS = 2000;

function frame(e: EventRow): string {
  return `id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(eventDocument(e))}\n\n`;
}

function resyncFrame(position: number, reason: string): string {
  return `id: ${position}\nevent: resync\ndata: ${JSON.stringify({ reason })}\n\n`;
}

interface Client {
  stream: Readable;
}

export class EventStreamHub {
  private readonly clients = new Set<Client>();
  private heartbeat?: NodeJS.Timeout;

  constructor(private readonly feed: EventFeed) {
    feed.subscribe((events) => {
      if (this.clients.size > 0) this.broadcast(events.map(frame).join(''));
    });
  }

  get size(): number {
    return this.clients.size;
  }

  open(req: IncomingMessage): Reply {
    if (this.clients.size >= MAX_CLIENTS) throw new HttpError(503, 'busy', `too many event streams open (${MAX_CLIENTS})`, { 'Retry-After': '10' });
    const stream = new Readable({ read() {} });
    const client: Client = { stream };
    const position = this.feed.position();
    let start = `retry: ${RETRY_MS}\n\n`;
    const last = lastEventId(req);
    if (last === undefined) {
      start += `id: ${position}\nevent: ready\ndata: ${JSON.stringify({ position })}\n\n`;
    } else {
      const missed = this.feed.replay(last, REPLAY_LIMIT);
      start += missed === undefined ? resyncFrame(position, 'the events since Last-Event-ID are no longer kept') : missed.map(frame).join('');
    }
    stream.push(start);
    this.clients.add(client);
    stream.once('close', () => this.remove(client));
    this.heartbeat ??= setInterval(() => this.broadcast(': ping\n\n'), HEARTBEAT_MS).unref();
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
    this.clients.delete(c);
    if (this.clients.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  private broadcast(text: string): void {
    if (text === '' || this.clients.size === 0) return;
    // Encoded once for every client: with many clients, encoding per client cost more than the writes.
    const bytes = Buffer.from(text, 'utf8');
    for (const c of this.clients) {
      if (c.stream.readableLength + bytes.length > CLIENT_BUFFER_LIMIT) this.drop(c);
      else c.stream.push(bytes);
    }
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

  /** Ends every stream (serve is stopping): clients see the end and reconnect later. */
  close(): void {
    for (const c of [...this.clients]) {
      this.remove(c);
      this.end(c);
    }
  }
}

function lastEventId(req: IncomingMessage): number | undefined {
  const h = req.headers['last-event-id'];
  if (typeof h !== 'string' || !/^\d{1,15}$/.test(h.trim())) return undefined;
  return Number(h.trim());
}
