// The workers: status, pending request, what each runs (job and task by name), actions.
import { api } from '../api';
import { badge, h, pager, relativeTime, replace, table } from '../dom';
import type { Ctx, View } from './view';
import type { WorkerView } from '../../core/api-types';

const PAGE = 100;

export function workersView(ctx: Ctx): View {
  let workers: WorkerView[] = [];
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
      ...(w.can_restart ? [h('option', { value: 'restart:lazy' }, 'restart after its task'), h('option', { value: 'restart' }, 'restart now')] : []),
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
      return [
        h('span', { class: 'nick', title: `${w.id} · ${w.address}` }, w.nickname),
        badge(w.status),
        w.status_requested ? `${w.status_requested}${w.lazy_status_request ? ' (lazy)' : ''}` : '',
        w.current_task && w.current_job
          ? h('span', {}, h('a', { href: `#/jobs/${w.current_job}` }, w.current_job_name ?? w.current_job), ' · ', h('a', { href: `#/tasks/${w.current_task}` }, w.current_task_name ?? w.current_task))
          : '',
        w.platform,
        h('span', { class: 'software', title: w.generation === 'v3' ? 'Flamenco 3 Worker' : 'Flamenco Worker 2.5' }, `${w.version || '-'} (${w.generation})`),
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
        : table(['worker', 'status', 'requested', 'running', 'platform', 'software', 'last seen', 'tags', 'task types', ''], rows, 'workers'),
      pager(workers.length, PAGE, page, (p) => {
        page = p;
        draw();
      }),
    );
  }

  return {
    el,
    async refresh() {
      // Each worker's view names its current task and job: one request.
      const ws = await api<WorkerView[]>('GET', '/api/workers');
      workers = ws.sort((a, b) => a.nickname.localeCompare(b.nickname));
      draw();
    },
    wants: (e) => e.type === 'worker' || e.type === 'task',
  };
}
