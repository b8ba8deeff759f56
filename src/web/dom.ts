// Building DOM from data. Every string becomes a text node or an attribute value set through
// the DOM, never HTML: job names, settings, nicknames and log lines come from submitters and
// workers, and none of them can add markup or script to the page.

export type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
  class?: string;
  title?: string;
  /** Only the dashboard's own routes ("#/..."). */
  href?: string;
  type?: string;
  value?: string;
  placeholder?: string;
  name?: string;
  disabled?: boolean;
  checked?: boolean;
  min?: string;
  max?: string;
  autocomplete?: string;
  data?: Record<string, string>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (e: HTMLElementEventMap[K]) => void }>;
}

export function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    parent.appendChild(document.createTextNode(String(child)));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title !== undefined) el.title = props.title;
  if (props.href !== undefined) {
    if (!props.href.startsWith('#/')) throw new Error(`not a dashboard link: ${props.href}`);
    el.setAttribute('href', props.href);
  }
  for (const k of ['type', 'value', 'placeholder', 'name', 'min', 'max', 'autocomplete'] as const) {
    if (props[k] !== undefined) el.setAttribute(k, props[k]!);
  }
  if (props.disabled) el.setAttribute('disabled', '');
  if (props.checked && el instanceof HTMLInputElement) el.checked = true;
  for (const [k, v] of Object.entries(props.data ?? {})) el.dataset[k] = v;
  for (const [ev, fn] of Object.entries(props.on ?? {})) el.addEventListener(ev, fn as EventListener);
  append(el, children);
  return el;
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function relativeTime(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  const a = Math.abs(s);
  const t = a < 60 ? `${a}s` : a < 3600 ? `${Math.floor(a / 60)}m` : a < 86400 ? `${Math.floor(a / 3600)}h` : `${Math.floor(a / 86400)}d`;
  return s >= 0 ? `${t} ago` : `in ${t}`;
}

export function badge(status: string): HTMLElement {
  return h('span', { class: `badge st-${status.replace(/[^a-z-]/g, '') || 'none'}` }, status || 'registered');
}

export function progress(done: number, total: number): HTMLElement {
  const pct = total > 0 ? Math.floor((done / total) * 100) : 0;
  const bar = h('span', { class: 'bar' }, h('span', { class: 'fill' }));
  (bar.firstChild as HTMLElement).style.width = `${pct}%`;
  return h('span', { class: 'progress', title: `${done} of ${total}` }, bar, ` ${pct}%`);
}

/** A table with a header row. */
export function table(headers: string[], rows: Child[][], cls = ''): HTMLTableElement {
  return h(
    'table',
    { class: cls },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', {}, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}

/** Page controls under a long table; `show(page)` renders that page. */
export function pager(total: number, size: number, page: number, show: (p: number) => void): HTMLElement | null {
  const pages = Math.ceil(total / size);
  if (pages <= 1) return null;
  return h(
    'div',
    { class: 'pager' },
    h('button', { disabled: page === 0, on: { click: () => show(page - 1) } }, '‹ previous'),
    ` page ${page + 1} of ${pages} `,
    h('button', { disabled: page >= pages - 1, on: { click: () => show(page + 1) } }, 'next ›'),
  );
}

/** A duration for people: "45s", "3m 20s", "2h 05m", "3d 4h". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** How the estimated end is worked out, for the title of every ETA shown. */
export const ETA_BASIS =
  "Estimated from the mean duration of this job's completed task runs: the waiting tasks take that long each, a running task that long minus how long it has run, shared among the workers on the job (those that started one of its tasks lately).";

/** How long a job's runs have taken: to their end, or to now while they go on. */
export function elapsed(started: string | null, ended: string | null): string {
  if (!started) return '';
  return duration((ended ? Date.parse(ended) : Date.now()) - Date.parse(started));
}

/**
 * An estimated end as time from now ("~3m 20s"), with how it is computed and the moment itself
 * as its title; empty without an estimate.
 */
export function eta(end: string | null | undefined, mean: number | null | undefined): HTMLElement | string {
  if (!end) return '';
  const left = Date.parse(end) - Date.now();
  return h('span', { class: 'eta', title: `${ETA_BASIS} Mean task run: ${duration(mean)}. Estimated end: ${end}.` }, left > 0 ? `~${duration(left)}` : 'any moment');
}
