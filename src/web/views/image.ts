import { lastRendered } from '../api';
import { h, replace } from '../dom';

/**
 * The last-rendered image of a job or of the farm, scaled by the browser; or why there is none.
 * It is fetched once, and again only after `changed()` (a last-rendered event): not at every
 * refresh of its page, which under a busy farm is several times a second.
 */
export function lastRenderedBox(path: string): { el: HTMLElement; changed(): void; refresh(): Promise<void> } {
  const el = h('figure', { class: 'last-rendered' }, h('figcaption', {}, 'Last rendered'));
  let url: string | undefined;
  let stale = true;
  return {
    el,
    changed() {
      stale = true;
    },
    async refresh() {
      if (!stale) return;
      stale = false;
      const r = await lastRendered(path);
      if (url) URL.revokeObjectURL(url);
      url = undefined;
      if ('url' in r) {
        url = r.url;
        const img = h('img', { title: 'last rendered frame' });
        img.alt = 'last rendered frame';
        img.src = r.url;
        replace(el, h('figcaption', {}, 'Last rendered'), img);
      } else {
        replace(el, h('figcaption', {}, 'Last rendered'), h('p', { class: 'muted' }, r.path ? [h('code', {}, r.path), ': ', r.reason] : r.reason));
      }
    },
  };
}
