// One job: its first failure at the top, the actions that fit its state (as core says), tasks with
// their durations (and per-task requeue), settings, blocklist, last-rendered frame.
import { api } from '../api';
import { badge, duration, elapsed, eta, h, pager, progress, relativeTime, replace, table } from '../dom';
import { failureText, type FarmSummary } from './farm';
import { lastRenderedBox } from './image';
import { countsText } from './jobs';
import type { BlocklistEntry, JobDetail, OfferedJobAction, TaskView } from '../../core/api-types';
import type { Ctx, View } from './view';
import { firstLine } from '../../core/support/one-line';
import { counted } from '../../core/support/plural';

/** Tasks per page: the page asks serve for these only (a job may have 100 000 tasks). */
const PAGE = 100;

function settingValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** How many tasks the job has: its counts per status (the answer holds only a page of them). */
function taskTotal(job: JobDetail): number {
  return Object.values(job.tasks).reduce((a, b) => a + b, 0);
}

/** How long the task's latest run took, or has run so far. */
function runTime(t: TaskView): HTMLElement | string {
  if (!t.started) return '';
  const end = t.ended ? Date.parse(t.ended) : Date.now();
  const d = duration(end - Date.parse(t.started));
  return h('span', { class: 'duration', title: `started ${t.started}${t.ended ? `, ended ${t.ended}` : ', still running'}` }, t.ended ? d : `${d}…`);
}

export function jobView(id: string, ctx: Ctx): View {
  // The page shown (from 0); refreshes after events fetch this page again, so it stays in view.
  let page = 0;
  let job: JobDetail | undefined;
  /** Fetches of the job asked for so far: an answer to an older one (another page) is dropped. */
  let asked = 0;
  let blocklist: BlocklistEntry[] = [];
  /** Workers timed out, in error or silent (the farm summary's), by id: their running tasks are marked. */
  let troubled = new Map<string, FarmSummary['attention']['workers'][number]>();

  /** The task's worker; a running task's worker that went silent or timed out says so. */
  function workerCell(t: TaskView): HTMLElement | string {
    const trouble = t.worker && (t.status === 'active' || t.status === 'cancel-requested') ? troubled.get(t.worker) : undefined;
    if (!trouble) return t.worker_nickname ?? '';
    const label = trouble.status === 'awake' || trouble.status === 'asleep' ? 'silent' : trouble.status;
    return h('span', { class: 'nick' }, t.worker_nickname ?? '', ' ', h('span', { class: 'badge silent', title: trouble.why }, label));
  }
  const head = h('div', {});
  const actions = h('div', { class: 'actions' });
  const tasks = h('div', {});
  const side = h('div', {});
  const image = lastRenderedBox(`/api/jobs/${id}/last-rendered`);
  const el = h('div', {}, head, actions, h('div', { class: 'columns' }, h('div', { class: 'main' }, h('h3', {}, 'Tasks'), tasks), h('aside', {}, image.el, side)));

  const post = (what: string, path: string, body?: unknown) => ctx.act(what, () => api('POST', path, body ?? {}));

  /**
   * The job with only the page of tasks shown: serve reads and sends a hundred tasks, not the whole
   * job (for 20 000 tasks that was 5.8 MB and a third of a second of serve's one thread per fetch).
   */
  async function fetchJob(): Promise<void> {
    const n = ++asked;
    const got = await api<JobDetail>('GET', `/api/jobs/${id}?limit=${PAGE}&offset=${page * PAGE}`);
    if (n === asked) job = got;
  }

  function showPage(p: number): void {
    page = p;
    fetchJob().then(draw, (err: unknown) => ctx.notify(err instanceof Error ? err.message : String(err), true));
  }

  /** Only the actions that fit the job's state: the list comes from serve (core's allowedJobActions). */
  function drawActions(): void {
    if (!job || !ctx.admin) {
      replace(actions, ctx.admin ? null : h('p', { class: 'muted' }, 'Read-only: log in with the admin token to change this job.'));
      return;
    }
    const can = new Set(job.actions);
    const button = (action: OfferedJobAction, label: string, what: string, path: string, body?: unknown) =>
      can.has(action) ? h('button', { data: { action }, on: { click: () => post(what, path, body) } }, label) : null;
    const prio = h('input', { type: 'number', min: '0', max: '100', value: String(job.priority), name: 'priority' });
    replace(
      actions,
      button('cancel', 'Cancel', 'cancel', `/api/jobs/${id}/cancel`),
      button('pause', 'Pause', 'pause', `/api/jobs/${id}/pause`),
      button('resume', 'Resume', 'resume', `/api/jobs/${id}/resume`),
      button('requeue', 'Requeue', 'requeue', `/api/jobs/${id}/requeue`),
      button('requeue-failed', 'Requeue failed', 'requeue failed tasks', `/api/jobs/${id}/requeue`, { failed_only: true }),
      h(
        'span',
        { class: 'inline' },
        prio,
        h('button', { on: { click: () => post('set priority', `/api/jobs/${id}/priority`, { priority: Number(prio.value) }) } }, 'Set priority'),
      ),
      can.has('delete')
        ? h(
            'button',
            {
              class: 'danger',
              data: { action: 'delete' },
              on: {
                click: () => {
                  if (confirm('Delete this job, its tasks and logs?')) void ctx.act('delete', () => api('DELETE', `/api/jobs/${id}`)).then(() => (location.hash = '#/jobs'));
                },
              },
            },
            'Delete',
          )
        : null,
    );
  }

  function drawTasks(): void {
    if (!job) return;
    const rows = job.task_list.map((t) => [
      h('a', { href: `#/tasks/${t.id}` }, t.name),
      badge(t.status),
      workerCell(t),
      runTime(t),
      h('span', { class: 'activity', title: t.activity }, firstLine(t.activity)),
      progress(t.progress, 100),
      t.failed_by_workers.length ? h('span', { title: t.failed_by_workers.map((f) => f.identifier).join('\n') }, String(t.failed_by_workers.length)) : '',
      ctx.admin ? h('button', { class: 'small', on: { click: () => ctx.act('requeue task', () => api('POST', `/api/tasks/${t.id}/requeue`)) } }, 'Requeue') : '',
    ]);
    replace(tasks, table(['task', 'status', 'worker', 'duration', 'activity', 'progress', 'failures', ''], rows, 'tasks'), pager(taskTotal(job), PAGE, page, showPage));
  }

  function draw(): void {
    if (!job) return;
    const total = taskTotal(job);
    replace(
      head,
      h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, 'Jobs'), ' / '),
      h('h2', {}, job.name, ' ', badge(job.status)),
      job.first_failure ? h('p', { class: 'first-failure' }, h('strong', {}, 'First failure: '), failureText(job.first_failure)) : null,
      h(
        'p',
        {},
        progress(job.tasks.completed ?? 0, total),
        ` ${job.tasks.completed ?? 0} of ${counted(total, 'task')} completed · ${job.job_type} · priority ${job.priority} · submitted ${relativeTime(job.created)}`,
        job.tag ? ` · tag ${job.tag}` : '',
      ),
      h(
        'p',
        { class: 'pace' },
        countsText(job.tasks),
        job.run_started !== null ? ` · ${job.run_ended ? 'took' : 'elapsed'} ${elapsed(job.run_started, job.run_ended)}` : '',
        job.estimated_end !== null ? [' · estimated end ', eta(job.estimated_end, job.mean_task_ms)] : '',
        job.mean_task_ms !== null ? ` · mean task ${duration(job.mean_task_ms)}` : '',
      ),
      job.activity ? h('p', { class: 'muted' }, job.activity) : null,
      job.warnings?.length
        ? h(
            'ul',
            { class: 'warnings' },
            job.warnings.map((w) => h('li', {}, w)),
          )
        : null,
    );
    drawActions();
    drawTasks();
    replace(
      side,
      h('h3', {}, 'Settings'),
      table(
        ['setting', 'value'],
        Object.entries(job.settings).map(([k, v]) => [k, h('code', {}, settingValue(v))]),
        'settings',
      ),
      Object.keys(job.metadata).length
        ? [
            h('h3', {}, 'Metadata'),
            table(
              ['key', 'value'],
              Object.entries(job.metadata).map(([k, v]) => [k, v]),
              'settings',
            ),
          ]
        : null,
      h('h3', {}, 'Blocklist'),
      blocklist.length === 0
        ? h('p', { class: 'muted' }, 'No worker is blocked from this job.')
        : table(
            ['worker', 'task type', 'since', ''],
            blocklist.map((b) => [
              b.worker_nickname ?? b.worker,
              b.task_type,
              relativeTime(b.created),
              ctx.admin
                ? h(
                    'button',
                    {
                      class: 'small',
                      on: {
                        click: () =>
                          ctx.act('clear blocklist entry', () => api('DELETE', `/api/blocklist?job=${id}&worker=${b.worker}&task_type=${encodeURIComponent(b.task_type)}`)),
                      },
                    },
                    'Clear',
                  )
                : '',
            ]),
            'blocklist',
          ),
    );
  }

  return {
    el,
    async refresh() {
      let farm: FarmSummary;
      [, blocklist, farm] = await Promise.all([fetchJob(), api<BlocklistEntry[]>('GET', `/api/blocklist?job=${id}`), api<FarmSummary>('GET', '/api/farm')]);
      troubled = new Map(farm.attention.workers.map((w) => [w.id, w]));
      draw();
      await image.refresh();
    },
    wants: (e) => {
      if ((e.type === 'last-rendered' && e.data.job === id) || e.type === 'resync' || e.type === 'ready') image.changed();
      // Only changes of this job: a busy farm's other jobs cost this page nothing.
      return (e.type === 'job' && e.data.id === id) || ((e.type === 'task' || e.type === 'last-rendered') && e.data.job === id);
    },
  };
}
