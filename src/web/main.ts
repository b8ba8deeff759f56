// The dashboard: routes (#/, #/jobs, #/jobs/<id>, #/workers, #/tasks/<id>), the login form,
// and live updates from /api/events.
import { access, type Access, ApiError, authHeaders, session } from './api';
import { h, replace } from './dom';
import { connectEvents, debounce, type FarmEvent } from './live';
import type { FarmSummary } from '../core/api-types';
import { farmView } from './views/farm';
import { jobView } from './views/job';
import { jobsView } from './views/jobs';
import { logView } from './views/log';
import type { Ctx, View } from './views/view';
import { workersView } from './views/workers';
import { api } from './api';

const main = document.getElementById('view')!;
const notice = document.getElementById('notice')!;
const summaryEl = document.getElementById('summary')!;
const sessionEl = document.getElementById('session')!;

let acc: Access = { read: false, admin: false };
let current: View | undefined;
let noticeTimer: number | undefined;

const ID = /^[0-9a-f]{24}$/;
const PROGRESS_REFRESH_MS = 10_000;

const ctx: Ctx = {
  get admin() {
    return acc.admin;
  },
  notify(message, error = false) {
    notice.hidden = false;
    notice.className = error ? 'error' : 'ok';
    notice.textContent = message;
    window.clearTimeout(noticeTimer);
    noticeTimer = window.setTimeout(() => (notice.hidden = true), error ? 8000 : 3000);
  },
  async act(what, fn) {
    try {
      await fn();
      ctx.notify(`${what}: done`);
    } catch (err) {
      ctx.notify(`${what}: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    await refreshCurrent();
  },
};

function viewFor(hash: string): View {
  const [, first = '', second = ''] = hash.replace(/^#/, '').split('/');
  if (first === 'jobs' && ID.test(second)) return jobView(second, ctx);
  if (first === 'jobs') return jobsView();
  if (first === 'workers') return workersView(ctx);
  if (first === 'tasks' && ID.test(second)) return logView(second, ctx);
  return farmView();
}

async function refreshCurrent(): Promise<void> {
  const v = current;
  if (!v) return;
  try {
    await v.refresh();
  } catch (err) {
    if (v !== current) return;
    if (err instanceof ApiError && err.status === 404) replace(main, h('p', { class: 'muted' }, err.message));
    else ctx.notify(err instanceof Error ? err.message : String(err), true);
  }
}

function route(): void {
  current?.dispose?.();
  current = viewFor(location.hash);
  const name = location.hash.split('/')[1] || 'farm';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) a.classList.toggle('here', a.dataset.nav === (name === 'tasks' ? 'jobs' : name));
  replace(main, current.el);
  void refreshCurrent();
}

async function drawSummary(): Promise<void> {
  try {
    const f = await api<FarmSummary>('GET', '/api/farm');
    const part = (n: number, what: string) => (n > 0 ? `${n} ${what}` : null);
    const bits = [
      part(f.jobs.active ?? 0, 'active'),
      part(f.jobs.queued ?? 0, 'queued'),
      part(f.jobs.failed ?? 0, 'failed'),
      part(f.workers.awake ?? 0, 'awake'),
      // A job can be stuck for several reasons; the header counts the jobs.
      part(new Set(f.stuck.map((s) => s.job)).size, 'stuck'),
    ].filter((b): b is string => b !== null);
    replace(summaryEl, bits.join(' · '));
  } catch {
    // shown again at the next event
  }
}

function loginForm(): HTMLElement {
  const input = h('input', { type: 'password', name: 'token', placeholder: 'admin token', autocomplete: 'off' });
  const error = h('span', { class: 'error-text' });
  const form = h('form', { class: 'login' }, input, h('button', { type: 'submit' }, 'Log in'), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = input.value.trim();
    void access(token).then((a) => {
      if (!a.admin) {
        error.textContent = a.refusal ?? 'That is not the admin token (flamenco-mgr admin-token prints it).';
        return;
      }
      session.set(token);
      location.reload();
    });
  });
  return form;
}

function drawSession(): void {
  if (acc.admin) {
    replace(
      sessionEl,
      h('span', { class: 'muted' }, 'admin '),
      h(
        'button',
        {
          class: 'link',
          on: {
            click: () => {
              session.clear();
              location.reload();
            },
          },
        },
        'log out',
      ),
    );
  } else if (acc.read) {
    const box = h('span', {});
    replace(sessionEl, box, h('button', { class: 'link', on: { click: () => replace(box, loginForm()) } }, 'log in'));
  } else {
    replace(sessionEl);
  }
}

async function start(): Promise<void> {
  acc = await access();
  if (session.token() && !acc.admin) {
    // A token that no longer works (serve has a new one): forget it.
    session.clear();
    acc = await access();
  }
  drawSession();
  if (!acc.read) {
    // A refusal (a name serve does not answer to without the token) says why, in serve's words.
    const why = acc.refusal ?? 'From this network the dashboard needs the admin token.';
    replace(main, h('section', { class: 'card' }, h('h2', {}, 'Log in'), h('p', {}, why), loginForm()));
    return;
  }
  window.addEventListener('hashchange', route);
  route();
  void drawSummary();
  const refreshView = debounce(() => void refreshCurrent(), 400);
  const refreshSummary = debounce(() => void drawSummary(), 1000);
  // Progress and activity within a status are not events: the page also refreshes every 10 s
  // while it is visible.
  window.setInterval(() => {
    if (!document.hidden) refreshView();
  }, PROGRESS_REFRESH_MS);
  connectEvents(
    () => authHeaders(),
    (e: FarmEvent) => {
      const wanted = current?.wants(e);
      if (e.type === 'resync' || e.type === 'ready' || wanted) refreshView();
      if (e.type !== 'ready') refreshSummary();
    },
    (connected) => document.body.classList.toggle('offline', !connected),
  );
}

void start();
