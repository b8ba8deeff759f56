// One task: every run it had (who ran it, when, how it ended, with what words), and the log of
// the run chosen, following the end of the log while the latest run goes on.
import { api, text } from '../api';
import { badge, duration, h, relativeTime, replace, table } from '../dom';
import type { Ctx, View } from './view';
import { RUNNING_TASK_STATUSES } from '../../core/support/statuses';
import type { TaskDetail } from '../../core/api-types';

const TAIL_LINES = 2000;
const FOLLOW_MS = 2000;

export function logView(id: string, ctx: Ctx): View {
  const head = h('div', {});
  const runsEl = h('div', {});
  const logHead = h('h3', {}, 'Log');
  const pre = h('pre', { class: 'log' });
  const el = h('div', {}, head, runsEl, logHead, pre);
  let timer: number | undefined;
  let running = false;
  let task: TaskDetail | undefined;
  /** The log run shown; undefined for the latest (followed while it runs). */
  let chosen: number | undefined;
  let jobName: string | undefined;

  async function loadLog(): Promise<void> {
    // Logs hold paths and command lines: serve shows them only with the admin token.
    if (!ctx.admin) {
      pre.textContent = 'The log needs the admin token: log in (top right) to see it.';
      return;
    }
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
    const run = chosen === undefined ? '' : `&run=${chosen}`;
    pre.textContent = await text(`/api/tasks/${id}/log?tail=${TAIL_LINES}${run}`);
    if (atEnd && chosen === undefined) pre.scrollTop = pre.scrollHeight;
  }

  function drawRuns(): void {
    if (!task) return;
    const latestLog = task.runs.at(-1)?.log_run ?? undefined;
    const rows = task.runs.map((r, i) => {
      const shown = (chosen ?? latestLog) === r.log_run && r.log_run !== null;
      return [
        String(i + 1),
        h('span', { class: 'nick' }, r.worker_nickname),
        h('span', { title: r.started }, relativeTime(r.started)),
        r.ended ? h('span', { title: r.ended }, relativeTime(r.ended)) : h('span', { class: 'muted' }, 'running'),
        r.ended ? duration(r.duration_ms) : `${duration(r.duration_ms)}…`,
        // A run taken back (timeout, requeue, sign-off) ended with its task queued again.
        r.outcome === 'queued' ? h('span', { class: 'badge st-queued' }, 'requeued') : badge(r.outcome ?? 'active'),
        h('span', { class: 'activity' }, r.activity),
        r.log_run === null
          ? h('span', { class: 'muted' }, 'no log')
          : shown
            ? h('span', { class: 'muted' }, 'shown below')
            : h('button', { class: 'link', data: { run: String(r.log_run) }, on: { click: () => choose(r.log_run === latestLog ? undefined : r.log_run!) } }, 'show log'),
      ];
    });
    replace(
      runsEl,
      h('h3', {}, `Runs (${task.runs.length})`),
      task.runs.length === 0
        ? h('p', { class: 'muted' }, 'This task has not been handed to a worker yet.')
        : table(['run', 'worker', 'started', 'ended', 'took', 'ended as', 'activity', 'log'], rows, 'runs'),
    );
    const r = task.runs.find((x) => x.log_run !== null && x.log_run === (chosen ?? latestLog));
    replace(logHead, r ? `Log of run ${task.runs.indexOf(r) + 1} (${r.worker_nickname})` : 'Log', running && chosen === undefined ? ' · following' : '');
  }

  function choose(run: number | undefined): void {
    chosen = run;
    drawRuns();
    void loadLog().catch(() => undefined);
  }

  return {
    el,
    async refresh() {
      const t = await api<TaskDetail>('GET', `/api/tasks/${id}`);
      task = t;
      running = RUNNING_TASK_STATUSES.includes(t.status);
      // A task stays in its job: its name is asked for once.
      jobName ??= (await api<{ name: string }>('GET', `/api/jobs/${t.job}?limit=1`)).name;
      replace(
        head,
        h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, 'Jobs'), ' / ', h('a', { href: `#/jobs/${t.job}` }, jobName), ' / '),
        h('h2', {}, t.name, ' ', badge(t.status)),
        h('p', { class: 'muted activity-full' }, t.worker_nickname ? `worker ${t.worker_nickname} · ` : '', t.activity),
      );
      drawRuns();
      await loadLog();
      window.clearInterval(timer);
      timer = running && ctx.admin ? window.setInterval(() => void (chosen === undefined ? loadLog() : Promise.resolve()).catch(() => undefined), FOLLOW_MS) : undefined;
    },
    wants: (e) => e.type === 'task' && e.data.id === id,
    dispose: () => window.clearInterval(timer),
  };
}
