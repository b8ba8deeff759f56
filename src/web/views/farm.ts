// The farm at a glance: first what needs a wrangler, by name (failed jobs and why, stuck jobs and
// why, workers timed out, in error or silent), then the running jobs with progress and estimated
// end, the counts per status and the newest frame.
import { api } from '../api';
import { badge, type Child, elapsed, eta, h, progress, relativeTime, replace, table } from '../dom';
import { lastRenderedBox } from './image';
import type { View } from './view';
import type { FarmSummary, FirstFailure } from '../../core/api-types';

export type { FarmSummary } from '../../core/api-types';

function counts(title: string, c: Record<string, number>): HTMLElement {
  const nonzero = Object.entries(c).filter(([, n]) => n > 0);
  return h(
    'section',
    { class: 'card' },
    h('h3', {}, title),
    nonzero.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : h(
          'ul',
          { class: 'counts' },
          nonzero.map(([s, n]) => h('li', {}, h('span', { class: `badge st-${s || 'none'}` }, s || 'registered'), ` ${n}`)),
        ),
  );
}

/** The first failure of a job: which task, on which worker, when, and what it said. */
export function failureText(f: FirstFailure): HTMLElement {
  return h(
    'span',
    { class: 'failure' },
    h('a', { href: `#/tasks/${f.task}` }, f.task_name),
    ` on ${f.worker_nickname}, ${relativeTime(f.ended)}: `,
    h('span', { class: 'reason' }, f.activity || '(no reason given)'),
  );
}

function attention(f: FarmSummary): HTMLElement {
  const a = f.attention;
  const parts: Child[] = [];
  if (a.failed.length > 0) {
    parts.push(
      h('h4', {}, 'Failed jobs'),
      table(
        ['job', 'why', 'first failure'],
        a.failed.map((j) => [
          h('a', { href: `#/jobs/${j.job}` }, j.name),
          h('span', { class: 'muted' }, j.activity),
          j.first_failure ? failureText(j.first_failure) : h('span', { class: 'muted' }, 'no task run failed (its tasks were canceled)'),
        ]),
        'failed-jobs',
      ),
      a.failed_omitted > 0 ? h('p', { class: 'muted' }, `and ${a.failed_omitted} more failed jobs (see Jobs)`) : null,
    );
  }
  if (f.stuck.length > 0) {
    // One row per job, each of its reasons on a line of its own.
    const byJob = new Map<string, { name: string; reasons: string[] }>();
    for (const s of f.stuck) {
      const j = byJob.get(s.job) ?? { name: s.name, reasons: [] };
      j.reasons.push(s.reason);
      byJob.set(s.job, j);
    }
    const rows = [...byJob].map(([id, j]) => [h('a', { href: `#/jobs/${id}` }, j.name), j.reasons.map((r, i) => [i > 0 ? h('br') : null, r])]);
    parts.push(h('h4', {}, 'Stuck jobs'), table(['job', 'why'], rows, 'stuck'));
  }
  if (a.workers.length > 0) {
    parts.push(
      h('h4', {}, 'Workers'),
      table(
        ['worker', 'status', 'why'],
        a.workers.map((w) => [h('a', { href: '#/workers', class: 'nick' }, w.nickname), badge(w.status), w.why]),
        'troubled-workers',
      ),
    );
  }
  return h(
    'section',
    { class: `card wide attention${parts.length > 0 ? ' alert' : ''}` },
    h('h3', {}, 'Needs attention'),
    parts.filter((p) => p).length === 0 ? h('p', { class: 'muted nothing' }, 'Nothing: no failed or stuck job, and every worker answers on time.') : parts,
  );
}

function running(f: FarmSummary): HTMLElement {
  const r = f.attention.running;
  return h(
    'section',
    { class: 'card wide' },
    h('h3', {}, 'Running'),
    r.length === 0
      ? h('p', { class: 'muted' }, 'No job is running.')
      : table(
          ['job', 'status', 'progress', 'tasks running', 'elapsed', 'estimated end'],
          r.map((j) => [
            h('a', { href: `#/jobs/${j.job}` }, j.name),
            badge(j.status),
            h('span', {}, progress(j.completed, j.total), ` ${j.completed} of ${j.total}`),
            String(j.running),
            elapsed(j.run_started, null),
            j.estimated_end === null
              ? h('span', { class: 'muted', title: 'No estimate: no task of this job has completed yet, there is nothing to measure.' }, '—')
              : eta(j.estimated_end, j.mean_task_ms),
          ]),
          'running-jobs',
        ),
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
      replace(body, attention(f), running(f), counts('Jobs', f.jobs), counts('Tasks', f.tasks), counts('Workers', f.workers));
      await image.refresh();
    },
    wants: (e) => {
      if (e.type === 'last-rendered' || e.type === 'resync' || e.type === 'ready') image.changed();
      return true;
    },
  };
}
