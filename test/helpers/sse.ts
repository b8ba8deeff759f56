// A Server-Sent Events reader for tests: parses frames as EventSource does.
import { expect } from 'vitest';
import { onCleanup } from './env';

export interface SseEvent {
  id?: string;
  event: string;
  data: any;
}

export interface SseClient {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** Waits until an event matching `pred` arrived (at most 5 s) and returns it. */
  waitFor(pred: (e: SseEvent) => boolean, what?: string): Promise<SseEvent>;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openEvents(url: string, headers: Record<string, string> = {}, query = ''): Promise<SseClient> {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/events${query}`, { headers, signal: ac.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  if (res.body) {
    void (async () => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += dec.decode(chunk, { stream: true });
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const e: SseEvent = { event: 'message', data: undefined };
            let data = '';
            let hasData = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const [field, ...rest] = line.split(':');
              const value = rest.join(':').replace(/^ /, '');
              if (field === 'id') e.id = value;
              else if (field === 'event') e.event = value;
              else if (field === 'data') {
                data += (hasData ? '\n' : '') + value;
                hasData = true;
              }
            }
            if (!hasData) continue;
            e.data = JSON.parse(data);
            events.push(e);
          }
          for (const w of waiters) w();
        }
      } catch {
        // aborted
      }
      resolveEnded();
      for (const w of waiters) w();
    })();
  }
  const client: SseClient = {
    status: res.status,
    headers: res.headers,
    events,
    ended,
    close: () => ac.abort(),
    async waitFor(pred, what = 'an event') {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = events.find(pred);
        if (found) return found;
        if (Date.now() > deadline) expect.fail(`no ${what} within 5 s; got ${JSON.stringify(events)}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, 100);
          waiters.add(() => {
            clearTimeout(t);
            r();
          });
        });
        waiters.clear();
      }
    },
  };
  onCleanup(() => client.close());
  return client;
}
