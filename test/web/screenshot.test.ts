// Makes the README's screenshots of the dashboard (docs/dashboard-*.png) from a small farm:
//   FLAMENCO_SCREENSHOTS=1 npx vitest run test/web/screenshot.test.ts
// Skipped otherwise; the behaviour is tested in dashboard.test.ts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { registerBackground } from '../../src/core/observe/background';
import { ManualClock } from '../../src/core/support/clock';
import { Browser } from '../helpers/browser';
import { onCleanup, registerWorker, tempDir, testServer } from '../helpers/env';
import { gradientPng } from '../helpers/png';

const DOCS = path.join(import.meta.dirname, '..', '..', 'docs');

describe.runIf(process.env.FLAMENCO_SCREENSHOTS)('README screenshots', { timeout: 60_000 }, () => {
  it('of the farm, a job and the workers', async () => {
    const clock = new ManualClock(Date.now() - 3 * 3600_000);
    // The last-rendered frame is taken from below the shared storage.
    const dir = tempDir();
    const s = await testServer({ clock, config: { shared_storage: dir } });
    registerBackground(s.manager);
    s.manager.timers.start();
    onCleanup(() => s.manager.timers.stop());
    const render = (name: string, frames: string, chunk: number, extra: Record<string, unknown> = {}) =>
      s.manager.jobs.submit({ name, job_type: 'sleep', settings: { frames, chunk_size: chunk, time_in_seconds: 60 }, ...extra }).id;
    const done = render('intro — title card', '1-48', 12);
    clock.advance(1200_000);
    render('shot-08 fx precomp', '1-120', 10, { priority: 40 });
    clock.advance(600_000);
    const main = render('shot-12 lighting', '1-240', 10, { priority: 70 });
    clock.advance(300_000);
    render('shot-14 layout', '1-96', 8, { tag: 'gpu' });
    clock.advance(300_000);
    const paused = render('shot-03 cloth sim', '1-60', 20);
    s.manager.jobActions.pause(paused);
    clock.set(Date.now());
    const follow = setInterval(() => clock.set(Date.now()), 50);
    onCleanup(() => clearInterval(follow));

    const names = ['render-01', 'render-02', 'render-03', 'render-04', 'gpu-box', 'render-05'];
    const workers = [];
    for (const n of names) workers.push(await registerWorker(s.url, { nickname: n, types: ['sleep'] }));
    // The finished job: completed by the first worker.
    for (let i = 0; i < 4; i++) {
      const t = (await workers[0]!.call('POST', '/task')).json;
      await workers[0]!.call('POST', `/tasks/${t._id}/update`, { task_status: 'completed', activity: 'done', task_progress_percentage: 100 });
    }
    void done;
    for (const w of workers.slice(0, 5)) {
      const t = (await w.call('POST', '/task')).json;
      if (t?._id) await w.call('POST', `/tasks/${t._id}/update`, { activity: 'Rendering frame 3/10 | Sample 96/128', task_progress_percentage: 30 + Math.floor(Math.random() * 50) });
    }
    for (let i = 0; i < 6; i++) {
      const t = (await workers[1]!.call('POST', '/task')).json;
      await workers[1]!.call('POST', `/tasks/${t._id}/update`, { task_status: 'completed', activity: 'done', task_progress_percentage: 100 });
    }
    await workers[5]!.call('POST', '/sign-off');
    const frame = path.join(dir, '0060.png');
    writeFileSync(frame, gradientPng(640, 360));
    await workers[1]!.call('POST', '/task');
    await workers[1]!.call('POST', '/output-produced', { paths: [frame] });

    const browser = await Browser.launch();
    onCleanup(() => browser.close());
    const page = await browser.newPage();
    await page.send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 820, deviceScaleFactor: 1, mobile: false });
    await page.goto(`${s.url}/#/jobs/${main}`);
    await page.waitFor(`document.querySelector('figure.last-rendered img') && document.querySelector('figure.last-rendered img').naturalWidth > 0`, 'the job page');
    await new Promise((r) => setTimeout(r, 300));
    await page.screenshot(path.join(DOCS, 'dashboard-job.png'));
    await page.eval(`location.hash = '#/jobs'`);
    await page.waitFor(`document.querySelector('table.jobs')`, 'the jobs');
    await new Promise((r) => setTimeout(r, 300));
    await page.screenshot(path.join(DOCS, 'dashboard-jobs.png'));
    await page.eval(`location.hash = '#/workers'`);
    await page.waitFor(`document.querySelector('table.workers')`, 'the workers');
    await new Promise((r) => setTimeout(r, 300));
    await page.screenshot(path.join(DOCS, 'dashboard-workers.png'));
  });
});
