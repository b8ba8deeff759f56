// The jobs: filter by status, finished ones folded away, paged; stuck jobs marked with why, task
// counts, elapsed time and estimated end.
import { api } from '../api';
import { seenEvent } from '../live';
import { badge, elapsed, eta, h, pager, progress, relativeTime, replace, table } from '../dom';
import type { FarmSummary } from './farm';
import type { View } from './view';
import { JOB_STATUSES } from '../../core/support/statuses';
import type { JobView } from '../../core/api-types';
import { counted } from '../../core/support/plural';

/** Task counts as words, the statuses that matter first: "3 done · 1 running · 2 queued · 1 failed". */
const COUNT_WORDS: [string, string][] = [
  ['completed', 'done'],
  ['active', 'running'],
  ['queued', 'queued'],
  ['soft-failed', 'soft-failed'],
  ['failed', 'failed'],
  ['paused', 'paused'],
  ['cancel-requested', 'stopping'],
  ['canceled', 'canceled'],
];

export function countsText(tasks: Record<string, number>): HTMLElement {
  const parts = COUNT_WORDS.filter(([st]) => (tasks[st] ?? 0) > 0).map(([st, word]) => h('span', { class: `count c-${st}` }, `${tasks[st]} ${word}`));
  return h(
    'span',
    { class: 'task-counts' },
    parts.flatMap((p, i) => (i === 0 ? [p] : [' · ', p])),
  );
}

/** Shown only on request: done with and no longer interesting. */
const FINISHED = ['completed', 'canceled'];
const PAGE = 50;
const UNFINISHED_LABEL = 'every status but completed and canceled';

/** Why the list is empty: "every status" with only finished jobs is not "nothing matches". */
function emptyText(jobs: number, hiddenFinished: number): string {
  if (jobs === 0) return 'No jobs yet.';
  if (hiddenFinished > 0) return 'No unfinished jobs: every job has completed or been canceled.';
  return 'No job matches.';
}

export function jobsView(): View {
  let jobs: JobView[] = [];
  /** Why each stuck job is stuck (the farm summary's list, by job). */
  let stuck = new Map<string, string[]>();
  let page = 0;
  let status = '';
  let showFinished = false;
  const list = h('div', {});
  const filter = h(
    'select',
    {
      name: 'status',
      on: {
        change: () => {
          status = filter.value;
          page = 0;
          draw();
        },
      },
    },
    h('option', { value: '' }, UNFINISHED_LABEL),
    JOB_STATUSES.map((s) => h('option', { value: s }, s)),
  );
  const el = h('div', {}, h('h2', {}, 'Jobs'), h('div', { class: 'controls' }, h('label', {}, 'Status ', filter)), list);

  function draw(): void {
    // The first choice says what it shows: finished jobs only once asked for.
    filter.options[0]!.text = showFinished ? 'every status' : UNFINISHED_LABEL;
    const matching = jobs.filter((j) => (status ? j.status === status : true));
    const finished = status ? 0 : matching.filter((j) => FINISHED.includes(j.status)).length;
    const shown = status || showFinished ? matching : matching.filter((j) => !FINISHED.includes(j.status));
    // Newest first: what a wrangler looks for.
    shown.sort((a, b) => b.created.localeCompare(a.created));
    page = Math.min(page, Math.max(0, Math.ceil(shown.length / PAGE) - 1));
    const rows = shown.slice(page * PAGE, (page + 1) * PAGE).map((j) => {
      const total = Object.values(j.tasks).reduce((a, b) => a + b, 0);
      const why = stuck.get(j.id);
      return [
        h('span', {}, h('a', { href: `#/jobs/${j.id}`, class: 'job-name' }, j.name), why ? [' ', h('span', { class: 'badge stuck', title: why.join('\n') }, 'stuck')] : null),
        badge(j.status),
        String(j.priority),
        progress(j.tasks.completed ?? 0, total),
        countsText(j.tasks),
        elapsed(j.run_started, j.run_ended),
        eta(j.estimated_end, j.mean_task_ms),
        j.job_type,
        h('span', { title: j.created }, relativeTime(j.created)),
        j.tag ?? '',
      ];
    });
    replace(
      list,
      shown.length === 0
        ? h('p', { class: 'muted' }, emptyText(jobs.length, finished))
        : table(['name', 'status', 'priority', 'progress', 'tasks', 'elapsed', 'estimated end', 'type', 'submitted', 'tag'], rows, 'jobs'),
      pager(shown.length, PAGE, page, (p) => {
        page = p;
        draw();
      }),
      finished > 0
        ? h(
            'p',
            {},
            h(
              'button',
              {
                class: 'link',
                on: {
                  click: () => {
                    showFinished = !showFinished;
                    draw();
                  },
                },
              },
              `${showFinished ? 'hide' : 'show'} ${counted(finished, 'finished job')}`,
            ),
          )
        : null,
    );
  }

  return {
    el,
    async refresh() {
      // As of the newest event seen: every dashboard asking after the same burst shares one answer.
      const at = seenEvent();
      const [list, farm] = await Promise.all([api<JobView[]>('GET', at === undefined ? '/api/jobs' : `/api/jobs?at=${at}`), api<FarmSummary>('GET', '/api/farm')]);
      jobs = list;
      stuck = new Map();
      for (const s of farm.stuck) stuck.set(s.job, [...(stuck.get(s.job) ?? []), s.reason]);
      draw();
    },
    wants: (e) => e.type === 'job' || e.type === 'task',
  };
}
