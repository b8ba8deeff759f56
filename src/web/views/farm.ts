// The farm at a glance: counts per status, what is stuck, the newest frame.
import { api } from '../api';
import { h, replace, table } from '../dom';
import { lastRenderedBox } from './image';
import type { View } from './view';
import type { FarmSummary } from '../../core/api-types';

function counts(title: string, c: Record<string, number>): HTMLElement {
  const nonzero = Object.entries(c).filter(([, n]) => n > 0);
  return h(
    'section',
    { class: 'card' },
    h('h3', {}, title),
    nonzero.length === 0 ? h('p', { class: 'muted' }, 'none') : h('ul', { class: 'counts' }, nonzero.map(([s, n]) => h('li', {}, h('span', { class: `badge st-${s || 'none'}` }, s || 'registered'), ` ${n}`))),
  );
}

export function farmView(): View {
  const body = h('div', { class: 'grid' });
  const image = lastRenderedBox('/api/last-rendered');
  const el = h('div', {}, h('h2', {}, 'Farm'), body, image.el);
  return {
    el,
    async refresh() {
      const f = await api<FarmSummary>('GET', '/api/farm');
      replace(
        body,
        counts('Jobs', f.jobs),
        counts('Tasks', f.tasks),
        counts('Workers', f.workers),
        h(
          'section',
          { class: 'card wide' },
          h('h3', {}, 'Stuck'),
          f.stuck.length === 0
            ? h('p', { class: 'muted' }, 'Nothing is stuck: every waiting task has an available worker that can take it.')
            : table(['job', 'why'], f.stuck.map((s) => [h('a', { href: `#/jobs/${s.job}` }, s.name), s.reason]), 'stuck'),
        ),
      );
      await image.refresh();
    },
    wants: (e) => {
      if (e.type === 'last-rendered' || e.type === 'resync' || e.type === 'ready') image.changed();
      return true;
    },
  };
}
