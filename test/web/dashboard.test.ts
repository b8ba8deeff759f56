// The dashboard in a real browser (Debian's headless Chromium): it shows jobs and workers,
// follows changes without a reload, runs actions only with the admin token, shows the last
// rendered frame, and renders hostile names as text.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBackground } from '../../src/core/observe/background';
import { ManualClock } from '../../src/core/support/clock';
import type { ManagerConfig } from '../../src/core/support/config';
import { Browser, CHROMIUM, type Page } from '../helpers/browser';
import { ADMIN_TOKEN, onCleanup, registerWorker, tempDir, testServer } from '../helpers/env';
import { gradientPng } from '../helpers/png';
import { claim, submitJob } from '../helpers/protocol';
import { f3Claim, registerF3 } from '../helpers/f3-worker';

const XSS_JOB = '<img src=x onerror=alert(1)>';
const XSS_WORKER = '<script>alert(2)</script>';
const HOSTILE_LOG = 'Saved: <b>frame</b> <img src=y onerror=alert(3)>';

/** Under CI a missing Chromium fails the suite; elsewhere these tests are skipped. */
const run = CHROMIUM !== undefined || process.env.CI !== undefined;

describe.runIf(run)('the dashboard in Chromium', { timeout: 60_000 }, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await Browser.launch();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** A serve with its timers running and a clock that follows real time (times in the page look right). */
  async function farm(config: Partial<ManagerConfig> = {}) {
    const clock = new ManualClock(Date.now());
    const follow = setInterval(() => clock.set(Date.now()), 50);
    onCleanup(() => clearInterval(follow));
    const s = await testServer({ clock, config });
    registerBackground(s.manager);
    s.manager.timers.start();
    onCleanup(() => s.manager.timers.stop());
    return s;
  }

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage();
    onCleanup(() => void page.send('Page.close').catch(() => undefined));
    await page.goto(url);
    return page;
  }

  const text = (sel: string) => `[...document.querySelectorAll(${JSON.stringify(sel)})].map((e) => e.textContent).join('\\n')`;

  it('shows jobs and workers, renders hostile names as text, and follows a status change without a reload', async () => {
    const s = await farm();
    const { jobId, ids } = submitJob(s, [{ name: 'frames 1-10' }, { name: 'frames 11-20', parents: ['frames 1-10'] }], { name: XSS_JOB });
    const w = await registerWorker(s.url, { nickname: XSS_WORKER });
    await claim(w);

    const page = await open(`${s.url}/#/jobs`);
    await page.waitFor(`${text('table.jobs a.job-name')}.includes(${JSON.stringify(XSS_JOB)})`, 'the job in the list');
    expect(await page.eval(`document.querySelector('table.jobs').innerText`)).toContain('active');

    await page.eval(`location.hash = '#/workers'`);
    await page.waitFor(`${text('table.workers .nick')} === ${JSON.stringify(XSS_WORKER)}`, 'the worker in the list');
    const row = await page.eval<string>(`document.querySelector('table.workers tbody tr').innerText`);
    expect(row).toContain(XSS_JOB);
    expect(row).toContain('frames 1-10');

    await page.eval(`location.hash = '#/jobs/${jobId}'`);
    await page.waitFor(`document.querySelector('h2') && document.querySelector('h2').textContent.startsWith(${JSON.stringify(XSS_JOB)})`, 'the job page');
    await page.eval('window.notReloaded = true');
    await w.call('POST', `/tasks/${ids['frames 1-10']}/update`, { task_status: 'completed', activity: 'done', log: HOSTILE_LOG });
    await page.waitFor(`${text('table.tasks tbody tr:first-child .badge')} === 'completed'`, 'the task completed, live');
    expect(await page.eval('window.notReloaded')).toBe(true);

    // The task's log needs the token; with it, the log is shown as text.
    await page.eval(`document.querySelector('table.tasks tbody tr:first-child a').click()`);
    await page.waitFor(`document.querySelector('pre.log') && document.querySelector('pre.log').textContent.includes('needs the admin token')`, 'the log refused');
    expect(page.requests.filter((u) => u.includes('/log'))).toEqual([]);
    await page.eval(`sessionStorage.setItem('flamenco-mgr-admin-token', ${JSON.stringify(ADMIN_TOKEN)}); location.reload()`);
    await page.waitFor(`document.querySelector('pre.log') && document.querySelector('pre.log').textContent.includes(${JSON.stringify(HOSTILE_LOG)})`, 'the log');
    expect(await page.eval(`document.querySelectorAll('pre.log *').length`)).toBe(0);

    // Nothing the submitter or the worker wrote ran or became markup.
    expect(page.dialogs).toEqual([]);
    expect(await page.eval(`document.querySelectorAll('img[src="x"], img[src="y"], main script, main b').length`)).toBe(0);
    expect(page.errors).toEqual([]);
  });

  it('says that every job is finished when only finished jobs are hidden, not that none matches', async () => {
    const s = await farm();
    const { jobId } = submitJob(s, [{ name: 'frames 1-10' }], { name: 'done and dusted' });
    s.manager.jobActions.cancel(jobId);
    const page = await open(`${s.url}/#/jobs`);
    await page.waitFor(`document.body.innerText.includes('show 1 finished job')`, 'the finished job hidden');
    expect(await page.eval<string>('document.body.innerText')).toContain('No unfinished jobs: every job has completed or been canceled.');
    expect(await page.eval<string>(`document.querySelector('select[name=status]').options[0].text`)).toBe('every status but completed and canceled');
    await page.eval(`[...document.querySelectorAll('button.link')].find((b) => b.textContent === 'show 1 finished job').click()`);
    await page.waitFor(`${text('table.jobs a.job-name')} === 'done and dusted'`, 'the finished job shown');
    // The status filter's first choice says what the list holds: finished jobs only once asked for.
    expect(await page.eval<string>(`document.querySelector('select[name=status]').options[0].text`)).toBe('every status');
    // A status filter with no job in it still says nothing matches.
    await page.eval(`(() => { const f = document.querySelector('select[name=status]'); f.value = 'failed'; f.dispatchEvent(new Event('change')); })()`);
    await page.waitFor(`document.body.innerText.includes('No job matches.')`, 'no failed job');
    expect(page.errors).toEqual([]);
  });

  it('shows which worker each is, with its version, and the logs of both generations alike', async () => {
    const s = await farm();
    submitJob(s, [{ name: 'one' }, { name: 'two' }]);
    const v2 = await registerWorker(s.url, { nickname: 'node-v2' });
    const v3 = await registerF3(s.url, { name: 'node-v3' });
    const t2 = await claim(v2);
    const t3 = await f3Claim(v3);
    await v2.call('POST', `/tasks/${t2._id}/update`, { log: '2026-12-07T01:02:03.000000+00:00: pid=41 > Fra:1 Mem:1M' });
    await v3.call('POST', `/task/${t3.uuid}`, { log: 'pid=42 > Fra:1 Mem:1M\n' });
    const page = await open(`${s.url}/#/workers`);
    await page.waitFor(`document.querySelectorAll('table.workers .software').length === 2`, 'the workers');
    const software = await page.eval<string[]>(
      `[...document.querySelectorAll('table.workers tbody tr')].map((r) => r.querySelector('.nick').textContent + ': ' + r.querySelector('.software').textContent)`,
    );
    expect(software.sort()).toEqual(['node-v2: v2: 2.5', 'node-v3: v3: 3.9-beta1 (cf286e71)']);
    // Each line of both logs starts with its time (logs need the admin token).
    await page.eval(`sessionStorage.setItem('flamenco-mgr-admin-token', ${JSON.stringify(ADMIN_TOKEN)}); location.reload()`);
    await page.waitFor(`document.querySelectorAll('table.workers .software').length === 2`, 'the workers again');
    for (const [task, pid] of [
      [t2._id, 41],
      [t3.uuid, 42],
    ] as const) {
      await page.eval(`location.hash = '#/tasks/${task}'`);
      await page.waitFor(`document.querySelector('pre.log') && document.querySelector('pre.log').textContent.includes('pid=${pid} >')`, `the log of pid ${pid}`);
      const lines = (await page.eval<string>(`document.querySelector('pre.log').textContent`)).trim().split('\n');
      for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:[\d.]+(Z|\+00:00): /);
    }
    expect(page.errors).toEqual([]);
  });

  it("names the job in a task page's breadcrumb, and shows a long activity's first line in the table, all of it on the task page", async () => {
    const s = await farm();
    const { jobId, ids } = submitJob(s, [{ name: 'render' }], { name: 'shot 12 lighting' });
    const w = await registerWorker(s.url);
    await claim(w);
    const activity = `Traceback (most recent call last):\n  File "<string>", line 3, in <module>\nRuntimeError: ${'x'.repeat(300)}`;
    await w.call('POST', `/tasks/${ids.render}/update`, { task_status: 'failed', activity });

    const page = await open(`${s.url}/#/jobs/${jobId}`);
    await page.waitFor(`${text('table.tasks tbody tr:first-child .badge')} === 'failed'`, 'the failed task');
    const cell = await page.eval<{ text: string; title: string; height: number; row: number }>(`(() => {
      const a = document.querySelector('table.tasks tbody tr:first-child .activity');
      return { text: a.textContent, title: a.title, height: a.getBoundingClientRect().height, row: a.closest('tr').getBoundingClientRect().height };
    })()`);
    expect(cell.text).toBe('Traceback (most recent call last): …');
    expect(cell.title).toContain('RuntimeError: xxx');
    expect(cell.row).toBeLessThan(3 * cell.height);

    await page.eval(`document.querySelector('table.tasks tbody tr:first-child a').click()`);
    await page.waitFor(`document.querySelector('.crumbs') && ${text('.crumbs a')}.includes('shot 12 lighting')`, 'the job named in the breadcrumb');
    expect(await page.eval(text('.crumbs a'))).toBe('Jobs\nshot 12 lighting');
    expect(await page.eval(text('.activity-full'))).toContain(`RuntimeError: ${'x'.repeat(300)}`);
  });

  it('says on the job page why its waiting work is stuck, as text', async () => {
    const s = await farm();
    await registerWorker(s.url, { types: ['sleep'] });
    const hostileType = '<i>ffmpeg</i>';
    const { jobId } = submitJob(s, [{ name: 'encode', type: hostileType }]);
    const page = await open(`${s.url}/#/jobs/${jobId}`);
    await page.waitFor(`${text('ul.warnings li')}.includes('no registered worker runs task type')`, 'the warning');
    expect(await page.eval<string>(text('ul.warnings li'))).toBe(`no registered worker runs task type "${hostileType}"`);
    expect(await page.eval(`document.querySelectorAll('ul.warnings i').length`)).toBe(0);
  });

  /** Polls a condition on this side (what the page asked for, say) until it holds. */
  async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('pages a long job by asking serve for the page shown, and refreshes that page only after changes of its job', async () => {
    const s = await farm();
    const names = Array.from({ length: 250 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    const { jobId } = submitJob(
      s,
      names.map((name) => ({ name })),
      { name: 'long shot' },
    );
    // Higher priority: the worker's first task is the other job's.
    const other = submitJob(s, [{ name: 'elsewhere' }], { name: 'other shot', priority: 60 });
    const w = await registerWorker(s.url);
    const page = await open(`${s.url}/#/jobs/${jobId}`);
    const pager = `document.querySelector('.pager') && document.querySelector('.pager').textContent`;
    const firstTask = `document.querySelector('table.tasks tbody tr:first-child a').textContent`;
    await page.waitFor(`${pager}.includes('page 1 of 3') && ${firstTask} === 't000'`, 'page 1 of 3');
    expect(await page.eval(`document.querySelectorAll('table.tasks tbody tr').length`)).toBe(100);
    // Settled: the page refreshes once more when its events stream opens ("ready").
    await until(() => page.requests.filter((u) => u.includes('/api/blocklist')).length >= 2, 'the refresh once the events stream is open');

    await page.eval(`[...document.querySelectorAll('.pager button')].find((b) => b.textContent.startsWith('next')).click()`);
    await page.waitFor(`${pager}.includes('page 2 of 3') && ${firstTask} === 't100'`, 'page 2 of 3');
    expect(await page.eval(`[...document.querySelectorAll('table.tasks tbody tr a')].map((a) => a.textContent)`)).toEqual(names.slice(100, 200));
    // Every fetch of the job asked for one page of tasks, the last for the second.
    const jobFetches = () => page.requests.map((u) => new URL(u)).filter((u) => u.pathname === `/api/jobs/${jobId}`);
    expect(jobFetches().length).toBeGreaterThanOrEqual(2);
    for (const u of jobFetches()) expect(u.searchParams.get('limit'), u.href).toBe('100');
    expect(jobFetches().at(-1)!.searchParams.get('offset')).toBe('100');

    // The 10 s refresh of a visible page is no event: with the page hidden only events refresh it.
    await page.eval(`Object.defineProperty(document, 'hidden', { get: () => true })`);
    const before = jobFetches().length;
    const t = await claim(w);
    expect(t._id).toBe(other.ids.elsewhere);
    await w.call('POST', `/tasks/${t._id}/update`, { task_status: 'completed' });
    // The same events refresh the summary 1 s after they came and a view that wants them 0.4 s
    // after (web/main.ts): once the summary shows the change, a refetch of this job, had the
    // events asked for one, was sent already.
    await page.waitFor(`document.querySelector('#summary').textContent === '1 queued · 1 awake'`, 'the other job completed, in the summary');
    expect(jobFetches().length, 'a change of another job refetched this one').toBe(before);

    // A change of this job: the page shown is fetched again and stays in view.
    const mine = await claim(w);
    await w.call('POST', `/tasks/${mine._id}/update`, { task_status: 'completed' });
    await page.waitFor(`document.querySelector('h2 ~ p').textContent.includes('1 of 250 tasks completed')`, 'the job refreshed, live');
    expect(await page.eval(`${pager}`)).toContain('page 2 of 3');
    expect(await page.eval(firstTask)).toBe('t100');
    expect(jobFetches().length).toBeGreaterThan(before);
    for (const u of jobFetches().slice(before)) expect([u.searchParams.get('limit'), u.searchParams.get('offset')], u.href).toEqual(['100', '100']);

    await page.eval(`[...document.querySelectorAll('.pager button')].find((b) => b.textContent.includes('previous')).click()`);
    await page.waitFor(`${pager}.includes('page 1 of 3') && ${text('table.tasks tbody tr:first-child .badge')} === 'completed'`, 'page 1, its first task completed');
    expect(page.errors).toEqual([]);
  });

  it('runs an action with the admin token and refuses it without', async () => {
    const s = await farm();
    const { jobId } = submitJob(s, [{ name: 'a' }], { name: 'shot 40' });
    const page = await open(`${s.url}/#/jobs/${jobId}`);
    await page.waitFor(`document.body.innerText.includes('Read-only')`, 'the read-only job page');
    expect(await page.eval(`[...document.querySelectorAll('.actions button')].length`)).toBe(0);
    // Even asked directly, the API refuses an action without the token.
    expect(await page.eval(`fetch('/api/jobs/${jobId}/pause', { method: 'POST' }).then((r) => r.status)`)).toBe(401);
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('queued');

    // Log in through the form: the token goes to sessionStorage, never into the URL.
    await page.eval(`[...document.querySelectorAll('#session button')].find((b) => b.textContent === 'log in').click()`);
    await page.waitFor(`document.querySelector('form.login input')`, 'the login form');
    await page.eval(`document.querySelector('form.login input').value = 'wrong-token'; document.querySelector('form.login button').click()`);
    await page.waitFor(`document.querySelector('.error-text').textContent.includes('not the admin token')`, 'the refusal');
    await page.eval(`document.querySelector('form.login input').value = ${JSON.stringify(ADMIN_TOKEN)}; document.querySelector('form.login button').click()`);
    await page.waitFor(
      `document.querySelector('#session') && document.querySelector('#session').innerText.includes('log out') && document.querySelectorAll('.actions button').length > 0`,
      'the admin view',
    );
    expect(await page.eval('location.href')).not.toContain(ADMIN_TOKEN);
    expect(await page.eval('document.cookie')).toBe('');

    await page.eval(`[...document.querySelectorAll('.actions button')].find((b) => b.textContent === 'Pause').click()`);
    await page.waitFor(`document.querySelector('h2 .badge').textContent === 'paused'`, 'the job paused');
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('paused');

    // Worker actions: a status request and tags.
    const w = await registerWorker(s.url, { nickname: 'render-09' });
    await page.eval(`location.hash = '#/workers'`);
    await page.waitFor(`document.querySelector('table.workers select')`, 'the worker actions');
    await page.eval(`const sel = document.querySelector('table.workers select'); sel.value = 'asleep:lazy'; sel.dispatchEvent(new Event('change'))`);
    await page.waitFor(`document.querySelector('table.workers tbody tr').innerText.includes('asleep (lazy)')`, 'the requested status');
    expect(s.manager.repos.workers.get(w.id)!.status_requested).toBe('asleep');
    await page.eval(
      `document.querySelector('input.tags').value = 'gpu, big-ram'; [...document.querySelectorAll('table.workers button')].find((b) => b.textContent === 'Set').click()`,
    );
    await page.waitFor(`document.querySelector('#notice').textContent === 'tags of render-09: done'`, 'the tags set');
    expect(s.manager.repos.workers.get(w.id)!.tags).toEqual(['gpu', 'big-ram']);
    // The failed requests are the refused action and the wrong token above.
    expect(page.errors).toEqual(Array(2).fill('network: Failed to load resource: the server responded with a status of 401 (Unauthorized)'));
  });

  it('shows the last rendered frame of a job and of the farm, and fetches it again only when it changed', async () => {
    const dir = tempDir();
    // Frames count below the shared storage (or the job's output folders).
    const s = await farm({ shared_storage: dir });
    const answers: number[] = [];
    s.server.on('request', (req, res) => {
      if (req.url?.endsWith('/last-rendered')) res.on('finish', () => answers.push(res.statusCode));
    });
    mkdirSync(path.join(dir, 'frames'));
    const frame = path.join(dir, 'frames', '0001.png');
    writeFileSync(frame, gradientPng(320, 180));
    const { jobId } = submitJob(s, [{ name: 'frames 1-1' }], { name: 'shot 7' });
    const w = await registerWorker(s.url);
    await claim(w);
    const page = await open(`${s.url}/#/jobs/${jobId}`);
    await page.waitFor(`document.querySelector('figure.last-rendered').innerText.includes('no worker has reported')`, 'no frame yet');
    await w.call('POST', '/output-produced', { paths: [frame] });
    await page.waitFor(`document.querySelector('figure.last-rendered img') && document.querySelector('figure.last-rendered img').naturalWidth === 320`, 'the frame, live');
    // The same frame reported again (a worker's reports count once a second): the page asks
    // again with the image's ETag and is answered 304, without the image.
    await new Promise((r) => setTimeout(r, 1100));
    const before = answers.length;
    await w.call('POST', '/output-produced', { paths: [frame] });
    for (let i = 0; i < 200 && answers.length === before; i++) await new Promise((r) => setTimeout(r, 25));
    expect(answers.slice(before)).toEqual([304]);
    await page.waitFor(
      `document.querySelector('figure.last-rendered img') && document.querySelector('figure.last-rendered img').naturalWidth === 320`,
      'the frame, from the cache',
    );
    await page.eval(`location.hash = '#/'`);
    await page.waitFor(`document.querySelector('figure.last-rendered img') && document.querySelector('figure.last-rendered img').naturalWidth === 320`, 'the farm-wide frame');
    if (process.env.FLAMENCO_SCREENSHOT) {
      await page.send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 800, deviceScaleFactor: 1, mobile: false });
      await page.screenshot(process.env.FLAMENCO_SCREENSHOT);
    }
    expect(page.errors).toEqual([]);
  });
});
