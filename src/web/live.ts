// The events stream (/api/events), read with fetch so that the admin token can go in a header
// (EventSource cannot send one). Reconnects with Last-Event-ID; on "resync" the page refetches.

export interface FarmEvent {
  type: string;
  data: Record<string, unknown>;
}

export type EventHandler = (e: FarmEvent) => void;

/** The newest event id this page has seen, if any: listings ask for the farm as of it (?at=). */
let newestSeen: string | undefined;

export function seenEvent(): string | undefined {
  return newestSeen;
}

export function connectEvents(headers: () => Record<string, string>, onEvent: EventHandler, onState: (connected: boolean) => void): () => void {
  let lastId: string | undefined;
  let stopped = false;
  let controller: AbortController | undefined;

  async function run(): Promise<void> {
    while (!stopped) {
      controller = new AbortController();
      try {
        const h: Record<string, string> = { ...headers(), Accept: 'text/event-stream' };
        if (lastId !== undefined) h['Last-Event-ID'] = lastId;
        const res = await fetch('/api/events', { headers: h, signal: controller.signal, cache: 'no-store' });
        if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
        onState(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            dispatch(block);
          }
        }
      } catch {
        // reconnect below
      }
      onState(false);
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  }

  function dispatch(block: string): void {
    let type = 'message';
    let data = '';
    let id: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data += (data ? '\n' : '') + value;
      else if (field === 'id') id = value;
    }
    if (id !== undefined) {
      lastId = id;
      newestSeen = id;
    }
    if (!data) return;
    try {
      onEvent({ type, data: JSON.parse(data) });
    } catch {
      // a malformed event is skipped
    }
  }

  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

/** Calls fn at most once per `ms`, after the last call in a burst settles. */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: number | undefined;
  return () => {
    if (timer !== undefined) return;
    timer = window.setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
  };
}
