// One task and its log, following the end of the log while the task runs.
import { api, text } from '../api';
import { badge, h, replace } from '../dom';
import type { Ctx, View } from './view';
import { RUNNING_TASK_STATUSES } from '../../core/support/statuses';
import type { TaskView } from '../../core/api-types';

const TAIL_LINES = 2000;
const FOLLOW_MS = 2000;

export function logView(id: string, ctx: Ctx): View {
  const head = h('div', {});
  const pre = h('pre', { class: 'log' });
  const el = h('div', {}, head, pre);
  let timer: number | undefined;
  let running = false;
  let jobName: string | undefined;

  async function loadLog(): Promise<void> {
    // Logs hold paths and command lines: serve shows them only with the admin token.
    if (!ctx.admin) {
      pre.textContent = 'The log needs the admin token: log in (top right) to see it.';
      return;
    }
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
    pre.textContent = await text(`/api/tasks/${id}/log?tail=${TAIL_LINES}`);
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }

  return {
    el,
    async refresh() {
      const t = await api<TaskView>('GET', `/api/tasks/${id}`);
      running = RUNNING_TASK_STATUSES.includes(t.status);
      // A task stays in its job: its name is asked for once.
      jobName ??= (await api<{ name: string }>('GET', `/api/jobs/${t.job}?limit=1`)).name;
      replace(
        head,
        h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, 'Jobs'), ' / ', h('a', { href: `#/jobs/${t.job}` }, jobName), ' / '),
        h('h2', {}, t.name, ' ', badge(t.status)),
        h('p', { class: 'muted activity-full' }, t.worker_nickname ? `worker ${t.worker_nickname} · ` : '', t.activity, running ? ' · following the log' : ''),
      );
      await loadLog();
      window.clearInterval(timer);
      timer = running && ctx.admin ? window.setInterval(() => void loadLog().catch(() => undefined), FOLLOW_MS) : undefined;
    },
    wants: (e) => e.type === 'task' && e.data.id === id,
    dispose: () => window.clearInterval(timer),
  };
}
