// The dashboard names the problem, in Chromium: the farm page lists failed jobs with their first
// failure, stuck jobs with why, silent workers, and running jobs with progress and estimated end;
// the jobs list marks stuck jobs and shows counts, elapsed time and estimates; the job page
// offers only the actions that fit the job and shows task durations and the first failure; the
// task page lists every run; the workers page forgets workers and edits sleep schedules.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBackground } from '../../src/core/observe/background';
import { ManualClock } from '../../src/core/support/clock';
import { Browser, CHROMIUM, type Page } from '../helpers/browser';
import { ADMIN_TOKEN, onCleanup, registerWorker, tempDir, testServer } from '../helpers/env';
import { gradientPng } from '../helpers/png';
import { claim, submitJob } from '../helpers/protocol';

const run = CHROMIUM !== undefined || process.env.CI !== undefined;

describe.runIf(run)('the dashboard names the problem (Chromium)', { timeout: 60_000 }, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await Browser.launch();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  /**
   * A serve with its timers running and a clock that follows real time, starting `behind` ms
   * behind it: `ahead(ms)` stands for time passing (a task taking 20 s, a worker keeping silent)
   * without sleeps. A test moves it ahead by `behind` in all, so that when the page looks, serve's
   * clock and the browser's agree again (the page says "12s ago", not "in 12s").
   */
  async function farm(behind: number, config: Record<string, unknown> = {}) {
    let offset = -behind;
    const clock = new ManualClock(Date.now());
    const follow = setInterval(() => clock.set(Date.now() + offset), 20);
    onCleanup(() => clearInterval(follow));
    const s = await testServer({ clock, config });
    registerBackground(s.manager);
    s.manager.timers.start();
    onCleanup(() => s.manager.timers.stop());
    const ahead = (ms: number) => {
      offset += ms;
      clock.set(Date.now() + offset);
    };
    return { s, ahead };
  }

  async function open(url: string, admin = false): Promise<Page> {
    const page = await browser.newPage();
    onCleanup(() => void page.send('Page.close').catch(() => undefined));
    await page.goto(url);
    if (admin) {
      // Through the login form, as a wrangler does.
      await page.waitFor(`[...document.querySelectorAll('#session button')].find((b) => b.textContent === 'log in')`, 'the log-in link');
      await page.eval(`[...document.querySelectorAll('#session button')].find((b) => b.textContent === 'log in').click()`);
      await page.waitFor(`document.querySelector('form.login input')`, 'the login form');
      await page.eval(`document.querySelector('form.login input').value = ${JSON.stringify(ADMIN_TOKEN)}; document.querySelector('form.login button').click()`);
      await page.waitFor(`document.querySelector('#session') && document.querySelector('#session').innerText.includes('log out')`, 'the admin view');
    }
    return page;
  }

  const text = (sel: string) => `[...document.querySelectorAll(${JSON.stringify(sel)})].map((e) => e.innerText).join('\\n')`;
  /** Each row of a table as its cells' text joined by "|". */
  const rowsOf = (sel: string) => `[...document.querySelectorAll(${JSON.stringify(`${sel} tbody tr`)})].map((r) => [...r.cells].map((c) => c.textContent.trim()).join('|'))`;
  const buttons = `[...document.querySelectorAll('.actions button[data-action]')].map((b) => b.textContent)`;

  it('farm page: failed jobs with their first failure, stuck jobs with why, silent workers, running jobs with progress and estimated end', async () => {
    const { s, ahead } = await farm(20_000, { task_fail_after_softfail_count: 1 });
    const failing = submitJob(s, [{ name: 'frames 1-10' }], { name: 'shot 21 broken' });
    submitJob(s, [{ name: 'encode', type: 'ffmpeg' }], { name: 'shot 22 video' });
    const running = submitJob(s, [{ name: 'r1' }, { name: 'r2' }, { name: 'r3' }], { name: 'shot 23 lighting' });
    const w1 = await registerWorker(s.url, { nickname: 'node-1' });
    const quiet = await registerWorker(s.url, { nickname: 'node-quiet', types: ['other'] });
    await quiet.call('POST', '/task');

    const f = await claim(w1);
    expect(f._id).toBe(failing.ids['frames 1-10']);
    await w1.call('POST', `/tasks/${f._id}/update`, { task_status: 'failed', activity: 'Blender exited with code 47: missing shot21.blend' });
    const r1 = await claim(w1);
    expect(r1.name).toBe('r1');
    ahead(20_000);
    await w1.call('POST', `/tasks/${r1._id}/update`, { task_status: 'completed' });
    const r2 = await claim(w1);

    const page = await open(`${s.url}/#/`);
    await page.waitFor(`document.querySelector('table.failed-jobs')`, 'the failed jobs');
    const failed = await page.eval<string>(text('table.failed-jobs tbody tr'));
    expect(failed).toContain('shot 21 broken');
    expect(failed).toContain('frames 1-10 on node-1');
    expect(failed).toContain('Blender exited with code 47: missing shot21.blend');
    expect(await page.eval(rowsOf('table.stuck'))).toEqual(['shot 22 video|no registered worker runs task type "ffmpeg"']);
    // node-quiet asked for a task 20 s ago; Flamenco Worker 2.5 asks every 5 s when idle.
    const troubled = await page.eval<string[]>(rowsOf('table.troubled-workers'));
    expect(troubled).toHaveLength(1);
    expect(troubled[0]).toMatch(/^node-quiet\|awake\|silent for 2\d s \(it asks every 5 s when idle\): killed or cut off\?$/);
    const runningRows = await page.eval<string[]>(rowsOf('table.running-jobs'));
    expect(runningRows).toHaveLength(1);
    // One run completed in 20 s: r3 waits (20 s), r2 has just started (20 s more), one worker.
    expect(runningRows[0]).toMatch(/^shot 23 lighting\|active\|33% 1 of 3\|1\|2\ds\|~(3\d|40)s$/);
    expect(await page.eval(`document.querySelector('table.running-jobs .eta').title`)).toContain("mean duration of this job's completed task runs");

    // Live: the silent worker speaks again, another job fails; no reload.
    await page.eval('window.notReloaded = true');
    await quiet.call('POST', '/task');
    expect(r2._id).toBe(running.ids.r2);
    await w1.call('POST', `/tasks/${r2._id}/update`, { task_status: 'failed', activity: 'out of memory' });
    await page.waitFor(`${text('table.failed-jobs tbody tr')}.includes('out of memory')`, 'the new failure, live');
    await page.waitFor(`!document.querySelector('table.troubled-workers')`, 'no silent worker once it spoke');
    expect(await page.eval('window.notReloaded')).toBe(true);
    expect(page.errors).toEqual([]);
  });

  it('jobs list marks stuck jobs and shows task counts, elapsed time and estimated end', async () => {
    const { s, ahead } = await farm(30_000);
    const stuck = submitJob(s, [{ name: 'encode', type: 'ffmpeg' }], { name: 'shot 30 video' });
    const running = submitJob(s, [{ name: 'a' }, { name: 'b' }, { name: 'c' }], { name: 'shot 31 fx' });
    const w = await registerWorker(s.url);
    const a = await claim(w);
    ahead(30_000);
    await w.call('POST', `/tasks/${a._id}/update`, { task_status: 'completed' });
    await claim(w);
    const page = await open(`${s.url}/#/jobs`);
    await page.waitFor(`document.querySelector('table.jobs .badge.stuck')`, 'the stuck mark');
    const rows = await page.eval<string[]>(rowsOf('table.jobs'));
    const stuckRow = rows.find((r) => r.startsWith('shot 30 video'))!;
    expect(stuckRow).toMatch(/^shot 30 video stuck\|queued\|50\|0%\|1 queued\|\|\|/);
    expect(await page.eval(`document.querySelector('table.jobs .badge.stuck').title`)).toBe('no registered worker runs task type "ffmpeg"');
    const runningRow = rows.find((r) => r.startsWith('shot 31 fx'))!;
    // One run took 30 s: b has just started (30 s more), c waits (30 s).
    expect(runningRow).toMatch(/^shot 31 fx\|active\|50\|33%\|1 done · 1 running · 1 queued\|3\ds\|~(5\ds|1m 0\ds)\|/);
    void stuck;
    void running;
    expect(page.errors).toEqual([]);
  });

  it('job page offers only the actions that fit the job, shows task durations and the first failure at the top', async () => {
    const { s, ahead } = await farm(75_000, { task_fail_after_softfail_count: 1, job_fail_share: 1 });
    const job = submitJob(s, [{ name: 'a' }, { name: 'b' }, { name: 'c' }], { name: 'shot 40' });
    const w = await registerWorker(s.url, { nickname: 'render-07' });
    const a = await claim(w);
    ahead(75_000);
    await w.call('POST', `/tasks/${a._id}/update`, { task_status: 'completed' });
    const b = await claim(w);

    const page = await open(`${s.url}/#/jobs/${job.jobId}`, true);
    await page.waitFor(`document.querySelector('table.tasks .duration')`, 'the durations');
    // Active, a task running: no Resume, no Delete.
    expect(await page.eval(buttons)).toEqual(['Cancel', 'Pause', 'Requeue']);
    expect(await page.eval<string>(text('table.tasks tbody tr:first-child .duration'))).toBe('1m 15s');
    expect(await page.eval<string>(text('table.tasks tbody tr:nth-child(2) .duration'))).toMatch(/^\ds…$/);
    expect(await page.eval('document.querySelector(".first-failure")')).toBeNull();

    // Paused while a task runs: the job waits for it (pause-requested), and Resume appears, live.
    await page.eval(`document.querySelector('.actions button[data-action="pause"]').click()`);
    await page.waitFor(`${buttons}.join() === 'Cancel,Resume,Requeue'`, 'the actions of a pause-requested job');
    // The running task fails: the job is paused, nothing runs; Delete appears, and the first failure on top.
    await w.call('POST', `/tasks/${b._id}/update`, { task_status: 'failed', activity: 'Error: Cannot read file "/shots/40/shot40.blend"' });
    await page.waitFor(`document.querySelector('.first-failure')`, 'the first failure');
    expect(await page.eval<string>(text('.first-failure'))).toMatch(/^First failure: b on render-07, \d+s ago: Error: Cannot read file "\/shots\/40\/shot40.blend"/);
    await page.waitFor(`${buttons}.join() === 'Cancel,Resume,Requeue,Requeue failed,Delete'`, 'the actions of a paused job with a failure');
    // The first failure comes before the tasks.
    expect(
      await page.eval(`document.querySelector('.first-failure').compareDocumentPosition(document.querySelector('table.tasks')) & Node.DOCUMENT_POSITION_FOLLOWING`),
    ).toBeTruthy();

    // Without the token: no actions at all.
    const ro = await open(`${s.url}/#/jobs/${job.jobId}`);
    await ro.waitFor(`document.body.innerText.includes('Read-only')`, 'the read-only page');
    expect(await ro.eval(buttons)).toEqual([]);
    expect(page.errors).toEqual([]);
  });

  it('job page marks a running task whose worker went silent', async () => {
    const { s, ahead } = await farm(11_000);
    const job = submitJob(s, [{ name: 'frames 1-4' }, { name: 'frames 5-8' }], { name: 'shot 45' });
    const w = await registerWorker(s.url, { nickname: 'render-killed' });
    await claim(w);
    ahead(11_000);
    const page = await open(`${s.url}/#/jobs/${job.jobId}`);
    await page.waitFor(`document.querySelector('table.tasks tbody tr .badge.silent')`, 'the silent mark');
    expect(await page.eval(rowsOf('table.tasks'))).toEqual([
      expect.stringMatching(/^frames 1-4\|active\|render-killed silent\|\d+s…\|/),
      expect.stringMatching(/^frames 5-8\|queued\|\|\|/),
    ]);
    expect(await page.eval(`document.querySelector('table.tasks .badge.silent').title`)).toMatch(/^silent for 1\d s \(it asks every 5 s when running a task\)/);
    expect(page.errors).toEqual([]);
  });

  it("task page lists every run: who ran it, when, how it ended, and shows each run's log", async () => {
    const { s, ahead } = await farm(12_000);
    const job = submitJob(s, [{ name: 'frames 1-10' }], { name: 'shot 50' });
    const w1 = await registerWorker(s.url, { nickname: 'render-01' });
    const w2 = await registerWorker(s.url, { nickname: 'render-02' });
    const t = await claim(w1);
    ahead(12_000);
    await w1.call('POST', `/tasks/${t._id}/update`, { task_status: 'failed', activity: 'GPU driver crashed', log: 'first run line' });
    const again = await claim(w2);
    expect(again._id).toBe(t._id);
    await w2.call('POST', `/tasks/${t._id}/update`, { activity: 'Rendering frame 3', log: 'second run line' });

    // Logs need the admin token; the runs do not.
    const ro = await open(`${s.url}/#/tasks/${t._id}`);
    await ro.waitFor(`document.querySelectorAll('table.runs tbody tr').length === 2`, 'two runs, read-only');
    expect(await ro.eval(`document.querySelector('pre.log').textContent`)).toContain('needs the admin token');
    const page = await open(`${s.url}/#/tasks/${t._id}`, true);
    await page.waitFor(`document.querySelectorAll('table.runs tbody tr').length === 2`, 'two runs');
    const rows = await page.eval<string[]>(rowsOf('table.runs'));
    expect(rows[0]).toMatch(/^1\|render-01\|1\ds ago\|\d+s ago\|12s\|soft-failed\|GPU driver crashed \(failed by 1 worker, will be retried\)\|show log$/);
    expect(rows[1]).toMatch(/^2\|render-02\|\d+s ago\|running\|\d+s…\|active\|Rendering frame 3\|shown below$/);
    await page.waitFor(`document.querySelector('pre.log').textContent.includes('second run line')`, "the latest run's log");
    expect(await page.eval<string>(`document.querySelector('pre.log').textContent`)).not.toContain('first run line');
    await page.eval(`document.querySelector('table.runs button[data-run="1"]').click()`);
    await page.waitFor(`document.querySelector('pre.log').textContent.includes('first run line')`, "the first run's log");
    expect(await page.eval<string>(`document.querySelector('pre.log').textContent`)).not.toContain('second run line');
    expect(await page.eval<string>(`document.querySelector('pre.log').previousElementSibling.textContent`)).toBe('Log of run 1 (render-01)');
    void job;
    expect(page.errors).toEqual([]);
  });

  it('last-rendered image: caption with job, frame and time; a tiny frame scaled up pixel for pixel', async () => {
    // Frames are shown from below the shared storage (or a job's output folders).
    const dir = tempDir();
    const { s } = await farm(0, { shared_storage: dir });
    mkdirSync(path.join(dir, 'frames'));
    const frame = path.join(dir, 'frames', 'shot60_0042.png');
    writeFileSync(frame, gradientPng(64, 36));
    const job = submitJob(s, [{ name: 'frames 42-42' }], { name: 'shot 60 <tiny>' });
    const w = await registerWorker(s.url);
    await claim(w);
    await w.call('POST', '/output-produced', { paths: [frame] });
    // serve copies the frame off the request path; the caption's time is that copy's.
    const captured = async () => ((await (await fetch(`${s.url}/api/last-rendered/info`)).json()) as { captured: string | null }).captured;
    for (let i = 0; !(await captured()); i++) {
      if (i > 200) throw new Error('the frame was never copied');
      await new Promise((r) => setTimeout(r, 25));
    }
    const page = await open(`${s.url}/#/`);
    await page.waitFor(`document.querySelector('figure.last-rendered').dataset.loaded === '1'`, 'the frame');
    expect(await page.eval<string>(`document.querySelector('figure.last-rendered figcaption').textContent`)).toMatch(
      /^Last rendered · shot 60 <tiny> · frame 42 · \d+s ago · 64×36 px, scaled up$/,
    );
    expect(await page.eval(`document.querySelector('figure.last-rendered figcaption a').getAttribute('href')`)).toBe(`#/jobs/${job.jobId}`);
    const img = await page.eval<{ w: number; rendering: string }>(
      `(() => { const i = document.querySelector('figure.last-rendered img'); return { w: i.getBoundingClientRect().width, rendering: getComputedStyle(i).imageRendering }; })()`,
    );
    expect(img.rendering).toBe('pixelated');
    expect(img.w).toBeGreaterThanOrEqual(64 * 8);
    // A click shows it as large as the window (1400 px wide here); another click, back.
    await page.eval(`document.querySelector('figure.last-rendered img').click()`);
    await page.waitFor(`document.querySelector('figure.last-rendered.zoomed')`, 'the zoomed image');
    expect(await page.eval<number>(`document.querySelector('figure.last-rendered img').getBoundingClientRect().width`)).toBeGreaterThan(1300);
    await page.eval(`document.querySelector('figure.last-rendered img').click()`);
    expect(await page.eval(`document.querySelector('figure.last-rendered').classList.contains('zoomed')`)).toBe(false);
    expect(page.errors).toEqual([]);
  });

  it('workers page: address, silence, sleep schedule and forget with the token; read-only without', async () => {
    const { s, ahead } = await farm(11_000);
    const w = await registerWorker(s.url, { nickname: 'render-11' });
    const gone = await registerWorker(s.url, { nickname: 'render-12' });
    await w.call('POST', '/task');
    await gone.call('POST', '/task');
    s.manager.sleepSchedules.set(w.id, 'mo tu', '22:00', '06:00');

    const ro = await open(`${s.url}/#/workers`);
    await ro.waitFor(`document.querySelector('table.workers code.address')`, 'the workers');
    const roRow = await ro.eval<string>(`document.querySelector('table.workers tbody tr').innerText`);
    expect(roRow).toContain('127.0.0.1');
    expect(roRow).toContain('mo tu 22:00–06:00');
    expect(await ro.eval(`document.querySelectorAll('table.workers button, table.workers input').length`)).toBe(0);

    const page = await open(`${s.url}/#/workers`, true);
    await page.waitFor(`document.querySelector('table.workers button[data-action="edit-schedule"]')`, 'the schedule editor');
    await page.eval(`document.querySelector('table.workers tbody tr:first-child button[data-action="edit-schedule"]').click()`);
    await page.waitFor(`document.querySelector('.schedule-editor input[name="days"]')`, 'the editor');
    await page.eval(
      `(() => { const e = document.querySelector('.schedule-editor'); e.querySelector('[name=days]').value = 'sa su'; e.querySelector('[name=start]').value = '20:30'; e.querySelector('[name=end]').value = '07:15'; e.querySelector('button[data-action="save-schedule"]').click(); })()`,
    );
    await page.waitFor(`document.querySelector('table.workers tbody tr').innerText.includes('sa su 20:30–07:15')`, 'the new schedule');
    expect(s.manager.sleepSchedules.get(w.id)).toMatchObject({ days: ['sa', 'su'], start: '20:30', end: '07:15' });

    // render-12 keeps silent; the page marks it at its next refresh.
    ahead(11_000);
    await w.call('POST', '/task');
    await page.eval(`location.hash = '#/'; location.hash = '#/workers'`);
    await page.waitFor(`document.querySelectorAll('table.workers .badge.silent').length === 1`, 'the silent mark');
    expect(await page.eval<string>(`document.querySelector('table.workers tbody tr:nth-child(2) .badge.silent').textContent`)).toMatch(/^silent 1\ds$/);

    await page.eval(`document.querySelector('table.workers tbody tr:nth-child(2) button[data-action="forget"]').click()`);
    await page.waitFor(`document.querySelectorAll('table.workers tbody tr').length === 1`, 'the worker forgotten');
    expect(page.dialogs).toEqual(['confirm: Forget worker render-12? Its running task is requeued; it must register again to work.']);
    expect(s.manager.repos.workers.get(gone.id)).toBeUndefined();
    expect(page.errors).toEqual([]);
    expect(ro.errors).toEqual([]);
  });
});
