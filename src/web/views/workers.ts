// The workers: status (and silence), pending request, what each runs (job and task by name), its
// address, sleep schedule and tags; with the admin token, status requests, schedule and tag
// editors, and forgetting a worker.
import { api } from '../api';
import { badge, duration, h, pager, relativeTime, replace, table } from '../dom';
import type { Ctx, View } from './view';
import type { ScheduleView, WorkerView } from '../../core/api-types';
import { softwareLabel } from '../../core/support/generations';

function scheduleText(s: ScheduleView | undefined): string {
  if (!s) return '';
  return `${s.days.length === 0 ? 'every day' : s.days.join(' ')} ${s.start}–${s.end}`;
}

const PAGE = 100;

export function workersView(ctx: Ctx): View {
  let workers: WorkerView[] = [];
  let schedules = new Map<string, ScheduleView>();
  /** Open schedule editors by worker: kept across redraws, so that live updates keep what is typed. */
  const editors = new Map<string, HTMLElement>();
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
      const list = input.value
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      void ctx.act(`tags of ${w.nickname}`, () => api('PUT', `/api/workers/${w.id}/tags`, { tags: list }));
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') save();
    });
    return h('span', { class: 'inline' }, input, h('button', { class: 'small', on: { click: save } }, 'Set'));
  }

  function forget(w: WorkerView): HTMLElement | string {
    if (!ctx.admin) return '';
    return h(
      'button',
      {
        class: 'small danger',
        data: { action: 'forget' },
        on: {
          click: () => {
            if (!confirm(`Forget worker ${w.nickname}? Its running task is requeued; it must register again to work.`)) return;
            void ctx.act(`forget ${w.nickname}`, () => api('DELETE', `/api/workers/${w.id}`));
          },
        },
      },
      'Forget',
    );
  }

  /** The worker's sleep schedule; with the token, an editor for it (days, start, end). */
  function schedule(w: WorkerView): HTMLElement | string {
    const current = schedules.get(w.id);
    if (!ctx.admin) return scheduleText(current);
    const open = editors.get(w.id);
    if (open) return open;
    return h(
      'span',
      { class: 'inline schedule' },
      h('span', {}, scheduleText(current) || h('span', { class: 'muted' }, 'none')),
      h(
        'button',
        {
          class: 'link',
          data: { action: 'edit-schedule' },
          on: {
            click: () => {
              editors.set(w.id, scheduleEditor(w, current));
              draw();
            },
          },
        },
        'edit',
      ),
    );
  }

  function scheduleEditor(w: WorkerView, current: ScheduleView | undefined): HTMLElement {
    const days = h('input', { type: 'text', name: 'days', value: current?.days.join(' ') ?? '', placeholder: 'every day (or: mo tu we th fr)' });
    const start = h('input', { type: 'time', name: 'start', value: current?.start ?? '22:00' });
    const end = h('input', { type: 'time', name: 'end', value: current?.end ?? '07:00' });
    const close = () => {
      editors.delete(w.id);
      draw();
    };
    const save = () => {
      editors.delete(w.id);
      void ctx.act(`sleep schedule of ${w.nickname}`, () => api('PUT', `/api/workers/${w.id}/sleep-schedule`, { days: days.value, start: start.value, end: end.value }));
    };
    const remove = () => {
      editors.delete(w.id);
      void ctx.act(`sleep schedule of ${w.nickname} removed`, () => api('DELETE', `/api/workers/${w.id}/sleep-schedule`));
    };
    days.classList.add('days');
    return h(
      'span',
      { class: 'inline schedule-editor' },
      days,
      start,
      '–',
      end,
      h('button', { class: 'small', data: { action: 'save-schedule' }, on: { click: save } }, 'Set'),
      current ? h('button', { class: 'small', data: { action: 'remove-schedule' }, on: { click: remove } }, 'Remove') : null,
      h('button', { class: 'link', on: { click: close } }, 'cancel'),
    );
  }

  function draw(): void {
    const rows = workers.slice(page * PAGE, (page + 1) * PAGE).map((w) => {
      return [
        h('span', { class: 'nick', title: w.id }, w.nickname),
        h(
          'span',
          {},
          badge(w.status),
          w.silent
            ? [
                ' ',
                h(
                  'span',
                  { class: 'badge silent', title: `Not heard from since ${w.last_seen}; it asks every ${w.silent.poll_s} s. Killed, hung or cut off?` },
                  `silent ${duration(Date.now() - Date.parse(w.last_seen))}`,
                ),
              ]
            : null,
          // A pending request, under the status it is to change.
          w.status_requested
            ? h('div', { class: 'requested', title: 'requested, not yet taken up by the worker' }, `→ ${w.status_requested}${w.lazy_status_request ? ' (lazy)' : ''}`)
            : null,
        ),
        w.current_task && w.current_job
          ? h(
              'span',
              {},
              h('a', { href: `#/jobs/${w.current_job}` }, w.current_job_name ?? w.current_job),
              ' · ',
              h('a', { href: `#/tasks/${w.current_task}` }, w.current_task_name ?? w.current_task),
            )
          : '',
        h('code', { class: 'address' }, w.address),
        w.platform,
        h('span', { class: 'software', title: w.generation === 'v3' ? 'Flamenco 3 Worker' : 'Flamenco Worker 2.5' }, softwareLabel(w.generation, w.version)),
        h('span', { title: w.last_seen }, relativeTime(w.last_seen)),
        schedule(w),
        tags(w),
        h(
          'span',
          { class: 'types' },
          w.supported_task_types.map((t) => h('span', {}, t)),
        ),
        h('span', { class: 'inline' }, actions(w), forget(w)),
      ];
    });
    replace(
      list,
      workers.length === 0
        ? h('p', { class: 'muted' }, 'No worker has registered yet.')
        : table(['worker', 'status', 'running', 'address', 'platform', 'software', 'last seen', 'sleep schedule', 'tags', 'task types', ''], rows, 'workers'),
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
      const [ws, ss] = await Promise.all([api<WorkerView[]>('GET', '/api/workers'), api<ScheduleView[]>('GET', '/api/sleep-schedules')]);
      workers = ws.sort((a, b) => a.nickname.localeCompare(b.nickname));
      schedules = new Map(ss.map((x) => [x.worker_id, x]));
      draw();
    },
    wants: (e) => e.type === 'worker' || e.type === 'task',
  };
}
