// The workers: status, pending request, what each runs (job and task by name), actions.
import { api } from '../api';
import { badge, h, pager, relativeTime, replace, table } from '../dom';
import type { FarmSummary } from './farm';
import type { Ctx, View } from './view';

interface WorkerView {
  id: string;
  nickname: string;
  status: string;
  status_requested: string | null;
  lazy_status_request: boolean;
  platform: string;
  address: string;
  supported_task_types: string[];
  current_task: string | null;
  last_seen: string;
  tags?: string[];
}

const PAGE = 100;

export function workersView(ctx: Ctx): View {
  let workers: WorkerView[] = [];
  let running: FarmSummary['current_tasks'] = {};
  let page = 0;
  const list = h('div', {});
  const el = h('div', {}, h('h2', {}, 'Workers'), list);

  const ask = (w: WorkerView, status: string, lazy: boolean) =>
    ctx.act(`${status}${lazy ? ' (lazy)' : ''} for ${w.nickname}`, () => api('POST', `/api/workers/${w.id}/status`, { status, lazy }));

  function actions(w: WorkerView): HTMLElement | string {
    if (!ctx.admin) return '';
    const select = h(
      'select',
      { name: 'worker-action' },
      h('option', { value: '' }, 'ask to…'),
      h('option', { value: 'awake' }, 'wake up'),
      h('option', { value: 'asleep:lazy' }, 'sleep after its task'),
      h('option', { value: 'asleep' }, 'sleep now'),
      h('option', { value: 'shutdown:lazy' }, 'shut down after its task'),
      h('option', { value: 'shutdown' }, 'shut down now'),
    );
    select.addEventListener('change', () => {
      const [status, lazy] = select.value.split(':');
      if (status) void ask(w, status, lazy === 'lazy');
    });
    return select;
  }

  /** The worker's tags; with the token, an editor for them (comma-separated). */
  function tags(w: WorkerView): HTMLElement | string {
    const text = (w.tags ?? []).join(', ');
    if (!ctx.admin) return text;
    const input = h('input', { type: 'text', name: 'tags', value: text, placeholder: 'no tags' });
    input.classList.add('tags');
    const save = () => {
      const list = input.value.split(',').map((t) => t.trim()).filter((t) => t !== '');
      void ctx.act(`tags of ${w.nickname}`, () => api('PUT', `/api/workers/${w.id}/tags`, { tags: list }));
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') save();
    });
    return h('span', { class: 'inline' }, input, h('button', { class: 'small', on: { click: save } }, 'Set'));
  }

  function draw(): void {
    const rows = workers.slice(page * PAGE, (page + 1) * PAGE).map((w) => {
      const t = running[w.id];
      return [
        h('span', { class: 'nick', title: `${w.id} · ${w.address}` }, w.nickname),
        badge(w.status),
        w.status_requested ? `${w.status_requested}${w.lazy_status_request ? ' (lazy)' : ''}` : '',
        t ? h('span', {}, h('a', { href: `#/jobs/${t.job}` }, t.job_name), ' · ', h('a', { href: `#/tasks/${t.task}` }, t.task_name)) : '',
        w.platform,
        h('span', { title: w.last_seen }, relativeTime(w.last_seen)),
        tags(w),
        h('span', { class: 'muted' }, w.supported_task_types.join(', ')),
        actions(w),
      ];
    });
    replace(
      list,
      workers.length === 0
        ? h('p', { class: 'muted' }, 'No worker has registered yet.')
        : table(['worker', 'status', 'requested', 'running', 'platform', 'last seen', 'tags', 'task types', ''], rows, 'workers'),
      pager(workers.length, PAGE, page, (p) => {
        page = p;
        draw();
      }),
    );
  }

  return {
    el,
    async refresh() {
      const [ws, farm] = await Promise.all([api<WorkerView[]>('GET', '/api/workers'), api<FarmSummary>('GET', '/api/farm')]);
      workers = ws.sort((a, b) => a.nickname.localeCompare(b.nickname));
      running = farm.current_tasks;
      draw();
    },
    wants: (e) => e.type === 'worker' || e.type === 'task',
  };
}
