import { api, lastRendered } from '../api';
import { h, relativeTime, replace } from '../dom';
import type { RenderedInfo } from '../../core/api-types';

/** Frames narrower than this are scaled up, pixel for pixel, to be judged at all. */
const TINY_PX = 480;

/**
 * The last-rendered image of a job or of the farm, with a caption naming its job, frame and when
 * it came; or why there is none. It is fetched once, and again only after `changed()` (a
 * last-rendered event): not at every refresh of its page, which under a busy farm is several
 * times a second. A small frame (a test render, a proxy) is scaled up with nearest-neighbour
 * sampling, so that its pixels stay sharp instead of a blurred thumbnail.
 */
export function lastRenderedBox(path: string): { el: HTMLElement; changed(): void; refresh(): Promise<void> } {
  const el = h('figure', { class: 'last-rendered' }, h('figcaption', {}, 'Last rendered'));
  let url: string | undefined;
  let stale = true;

  function caption(info: RenderedInfo | undefined, size?: string): HTMLElement {
    const bits: (string | HTMLElement)[] = ['Last rendered'];
    if (info?.job && info.job_name !== null) bits.push(' · ', h('a', { href: `#/jobs/${info.job}`, class: 'job' }, info.job_name));
    if (info?.frame !== null && info?.frame !== undefined) bits.push(' · ', h('span', { class: 'frame' }, `frame ${info.frame}`));
    if (info?.captured) bits.push(' · ', h('span', { class: 'when', title: info.captured }, relativeTime(info.captured)));
    if (size) bits.push(' · ', h('span', { class: 'size' }, size));
    return h('figcaption', { title: info?.path ?? '' }, bits);
  }

  return {
    el,
    changed() {
      stale = true;
    },
    async refresh() {
      if (!stale) return;
      stale = false;
      delete el.dataset.loaded;
      const [r, info] = await Promise.all([lastRendered(path), api<RenderedInfo>('GET', `${path}/info`).catch(() => undefined)]);
      if (url) URL.revokeObjectURL(url);
      url = undefined;
      if ('url' in r) {
        url = r.url;
        const img = h('img', { title: info?.path ?? 'last rendered frame' });
        img.alt = info?.frame !== null && info?.frame !== undefined ? `frame ${info.frame}` : 'last rendered frame';
        img.addEventListener('load', () => {
          const tiny = img.naturalWidth < TINY_PX;
          img.classList.toggle('tiny', tiny);
          const size = `${img.naturalWidth}×${img.naturalHeight} px${tiny ? ', scaled up' : ''}`;
          el.replaceChild(caption(info, size), el.firstChild!);
          el.dataset.loaded = '1';
        });
        img.addEventListener('click', () => el.classList.toggle('zoomed'));
        img.src = r.url;
        replace(el, caption(info), img);
      } else {
        replace(el, caption(info), h('p', { class: 'muted' }, r.path ? [h('code', {}, r.path), ': ', r.reason] : r.reason));
      }
    },
  };
}
