// The events stream (/api/events), read with fetch so that the admin token can go in a header
// (EventSource cannot send one). Reconnects with Last-Event-ID; on "resync" the page refetches.
import { EVENTS_RETRY_MS } from '../core/support/event-stream';

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
        // One "changes" frame per batch (what changed, to fetch again) instead of every event.
        const res = await fetch('/api/events?coalesce=1', { headers: h, signal: controller.signal, cache: 'no-store' });
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
      if (!stopped) await new Promise((r) => setTimeout(r, EVENTS_RETRY_MS));
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
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return; // a malformed event is skipped
    }
    for (const e of type === 'changes' ? expandChanges(parsed) : [{ type, data: parsed }]) onEvent(e);
  }

  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

/**
 * A "changes" frame as the events the views look for: one per changed job, worker, listed task
 * and last-rendered image (a frame with more tasks than it lists counts as a change of each job).
 */
function expandChanges(c: Record<string, unknown>): FarmEvent[] {
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const out: FarmEvent[] = [];
  for (const id of ids(c.jobs)) {
    out.push({ type: 'job', data: { id } });
    if (c.more_tasks === true) out.push({ type: 'task', data: { job: id } });
  }
  for (const id of ids(c.workers)) out.push({ type: 'worker', data: { id } });
  for (const t of Array.isArray(c.tasks) ? c.tasks : []) {
    if (t && typeof t === 'object') out.push({ type: 'task', data: t as Record<string, unknown> });
  }
  for (const job of ids(c.last_rendered)) out.push({ type: 'last-rendered', data: { job } });
  return out;
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
