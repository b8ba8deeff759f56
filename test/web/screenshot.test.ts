// Makes the dashboard's screenshots in docs/ (dashboard-farm, -jobs, -job, -task, -workers.png),
// checking on the way that each page shows what the API says:
//   FLAMENCO_SCREENSHOTS=1 npx vitest run test/web/screenshot.test.ts
// from a small farm made here (workers driven through the protocol), or from a running serve
// with real workers (docs/dashboard.md says how the published ones were made):
//   FLAMENCO_SCREENSHOTS=1 FLAMENCO_SCREENSHOTS_URL=http://127.0.0.1:8080 FLAMENCO_SCREENSHOTS_TOKEN=… \
//     [FLAMENCO_SCREENSHOTS_JOB=<id>] [FLAMENCO_SCREENSHOTS_TASK=<id>] [FLAMENCO_SCREENSHOTS_ONLY=farm,task] \
//     npx vitest run test/web/screenshot.test.ts
// Skipped otherwise; the behaviour is tested in dashboard.test.ts and attention.test.ts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerBackground } from '../../src/core/observe/background';
import { ManualClock } from '../../src/core/support/clock';
import { Browser, type Page } from '../helpers/browser';
import { ADMIN_TOKEN, onCleanup, registerWorker, tempDir, testServer } from '../helpers/env';
import { gradientPng } from '../helpers/png';

const DOCS = path.join(import.meta.dirname, '..', '..', 'docs');

/** A farm made here: jobs done, running, failed and stuck, and a worker that went silent. */
async function syntheticFarm(): Promise<{ url: string; token: string }> {
  // The farm's hour of work ends now, so that the pages' times read right; serve's timers start
  // at the end (timeouts would otherwise fire at every step of the hour).
  let offset = -63 * 60_000;
  const clock = new ManualClock(Date.now() + offset);
  // The last-rendered frame is taken from below the shared storage.
  const dir = tempDir();
  const s = await testServer({ clock, config: { task_fail_after_softfail_count: 1, shared_storage: dir } });
  const render = (name: string, frames: string, chunk: number, extra: Record<string, unknown> = {}) =>
    s.manager.jobs.submit({ name, job_type: 'sleep', settings: { frames, chunk_size: chunk, time_in_seconds: 60 }, ...extra }).id;
  const later = (ms: number) => {
    offset += ms;
    clock.set(Date.now() + offset);
  };
  const names = ['render-01', 'render-02', 'render-03', 'render-04'];
  const workers: Awaited<ReturnType<typeof registerWorker>>[] = [];
  for (const n of names) workers.push(await registerWorker(s.url, { nickname: n, types: ['sleep'] }));
  const work = async (w: (typeof workers)[number], minutes: number, end: Record<string, unknown> = { task_status: 'completed', activity: 'Task completed' }) => {
    const t = (await w.call('POST', '/task')).json;
    later(minutes * 60_000);
    await w.call('POST', `/tasks/${t._id}/update`, end);
    return t;
  };
  render('intro — title card', '1-48', 12);
  for (let i = 0; i < 4; i++) await work(workers[0]!, 5);
  render('shot-08 fx precomp', '1-40', 10, { priority: 40 });
  await work(workers[1]!, 3, { task_status: 'failed', activity: 'Error: Cannot read file "/shots/08/fx.blend": No such file or directory' });
  later(600_000);
  render('shot-12 lighting', '1-240', 10, { priority: 70 });
  render('shot-14 layout', '1-96', 8, { tag: 'gpu' });
  for (let i = 0; i < 6; i++) await work(workers[2]!, 4 + (i % 3));
  for (const w of workers.slice(0, 3)) {
    const t = (await w.call('POST', '/task')).json;
    if (t?._id) await w.call('POST', `/tasks/${t._id}/update`, { activity: 'Fra:23 Mem:38.2M | Rendering 3/10 | Sample 96/128', task_progress_percentage: 40 });
  }
  // render-04 has said nothing since it registered an hour ago: silent (its timeout is not due
  // before serve has run for worker_timeout).
  expect(offset).toBe(0);
  registerBackground(s.manager);
  s.manager.timers.start();
  onCleanup(() => s.manager.timers.stop());
  const follow = setInterval(() => clock.set(Date.now() + offset), 50);
  onCleanup(() => clearInterval(follow));
  for (const w of workers.slice(0, 3)) await w.call('POST', '/task');
  const frame = path.join(dir, '000060.png');
  writeFileSync(frame, gradientPng(640, 360));
  await workers[2]!.call('POST', '/output-produced', { paths: [frame] });
  return { url: s.url, token: ADMIN_TOKEN };
}

async function apiGet<T = any>(url: string, token: string, p: string): Promise<T> {
  const res = await fetch(`${url}${p}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

describe.runIf(process.env.FLAMENCO_SCREENSHOTS)('dashboard screenshots', { timeout: 120_000 }, () => {
  it('of the farm, the jobs, a job, a task and the workers, each showing what the API says', async () => {
    const given = process.env.FLAMENCO_SCREENSHOTS_URL;
    const { url, token } = given ? { url: given.replace(/\/$/, ''), token: process.env.FLAMENCO_SCREENSHOTS_TOKEN ?? '' } : await syntheticFarm();
    const browser = await Browser.launch();
    onCleanup(() => browser.close());
    const page: Page = await browser.newPage();
    await page.send('Emulation.setDeviceMetricsOverride', { width: 1440, height: 900, deviceScaleFactor: 1, mobile: false });
    // Logged in through the form (the job and workers pages then show their actions).
    await page.goto(`${url}/`);
    await page.waitFor(`[...document.querySelectorAll('#session button')].find((b) => b.textContent === 'log in')`, 'the log-in link');
    await page.eval(`[...document.querySelectorAll('#session button')].find((b) => b.textContent === 'log in').click()`);
    await page.waitFor(`document.querySelector('form.login input')`, 'the login form');
    await page.eval(`document.querySelector('form.login input').value = ${JSON.stringify(token)}; document.querySelector('form.login button').click()`);
    await page.waitFor(`document.querySelector('#session').innerText.includes('log out')`, 'the admin session');
    const only = process.env.FLAMENCO_SCREENSHOTS_ONLY?.split(',');
    const shot = async (name: string) => {
      if (only && !only.includes(name)) return;
      // The page has drawn: wait for two frames, not for a time.
      await page.eval('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
      await page.screenshot(path.join(DOCS, `dashboard-${name}.png`));
    };
    const cells = (sel: string) => `[...document.querySelectorAll(${JSON.stringify(sel)})].map((e) => e.textContent)`;

    // The farm: every failed job, stuck job and troubled worker the API names, and each running job.
    const farm = await apiGet(url, token, '/api/farm');
    await page.waitFor(`document.querySelector('section.attention') && document.querySelector('figure.last-rendered').dataset.loaded === '1'`, 'the farm page');
    const attention = await page.eval<string>(`document.querySelector('section.attention').textContent`);
    for (const f of farm.attention.failed) expect(attention).toContain(f.name);
    for (const st of farm.stuck) expect(attention).toContain(st.reason);
    for (const w of farm.attention.workers) expect(attention).toContain(w.nickname);
    expect(farm.attention.failed.length + farm.stuck.length + farm.attention.workers.length).toBeGreaterThan(0);
    const running = await page.eval<string[]>(cells('table.running-jobs tbody tr td:first-child'));
    expect(running).toEqual(farm.attention.running.map((r: { name: string }) => r.name));
    await shot('farm');

    // The jobs: the current ones, by name, stuck ones marked.
    const jobs = await apiGet<{ id: string; name: string; status: string; actions: string[] }[]>(url, token, '/api/jobs?scope=current');
    await page.eval(`location.hash = '#/jobs'`);
    await page.waitFor(`document.querySelector('table.jobs')`, 'the jobs');
    const listed = await page.eval<string[]>(cells('table.jobs a.job-name'));
    for (const j of jobs.filter((x) => !['completed', 'canceled'].includes(x.status))) expect(listed).toContain(j.name);
    expect(await page.eval(`document.querySelectorAll('table.jobs .badge.stuck').length`)).toBe(new Set(farm.stuck.map((x: { job: string }) => x.job)).size);
    await shot('jobs');

    // A job: its buttons are its allowed actions.
    const job = jobs.find((j) => j.id === process.env.FLAMENCO_SCREENSHOTS_JOB) ?? jobs.find((j) => j.status === 'active') ?? jobs.at(-1)!;
    await page.eval(`location.hash = '#/jobs/${job.id}'`);
    await page.waitFor(`document.querySelector('table.tasks') && document.querySelector('h2').textContent.startsWith(${JSON.stringify(job.name)})`, 'the job page');
    const detail = await apiGet(url, token, `/api/jobs/${job.id}?limit=100`);
    const label: Record<string, string> = { cancel: 'Cancel', pause: 'Pause', resume: 'Resume', requeue: 'Requeue', 'requeue-failed': 'Requeue failed', delete: 'Delete' };
    expect(await page.eval(`[...document.querySelectorAll('.actions button[data-action]')].map((b) => b.textContent)`)).toEqual(detail.actions.map((a: string) => label[a]));
    await shot('job');

    // A task: every run it had.
    const taskId = process.env.FLAMENCO_SCREENSHOTS_TASK ?? detail.task_list.find((t: { started: string | null }) => t.started)?.id ?? detail.task_list[0].id;
    const task = await apiGet(url, token, `/api/tasks/${taskId}`);
    await page.eval(`location.hash = '#/tasks/${taskId}'`);
    await page.waitFor(
      `document.querySelector('h2') && document.querySelector('h2').textContent.startsWith(${JSON.stringify(task.name)}) && document.querySelectorAll('table.runs tbody tr').length === ${task.runs.length}`,
      'the task page',
    );
    if (given) await page.waitFor(`document.querySelector('pre.log').textContent.length > 0`, 'the log');
    await shot('task');

    // The workers, with their addresses.
    const workers = await apiGet<{ nickname: string; address: string }[]>(url, token, '/api/workers');
    await page.eval(`location.hash = '#/workers'`);
    await page.waitFor(`document.querySelectorAll('table.workers tbody tr').length === ${workers.length}`, 'the workers');
    const rows = await page.eval<string>(`document.querySelector('table.workers tbody').textContent`);
    for (const w of workers) expect(rows).toContain(w.nickname);
    await shot('workers');
    expect(page.errors).toEqual([]);
  });
});
