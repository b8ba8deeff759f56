import { lastRendered } from '../api';
import { h, replace } from '../dom';

/** The last-rendered image of a job or of the farm, scaled by the browser; or why there is none. */
export function lastRenderedBox(path: string): { el: HTMLElement; refresh(): Promise<void> } {
  const el = h('figure', { class: 'last-rendered' }, h('figcaption', {}, 'Last rendered'));
  let url: string | undefined;
  return {
    el,
    async refresh() {
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
