// DNS rebinding, in a real browser: a page at a name that resolves to the manager (Chromium's
// resolver is told evil.example is 127.0.0.1) is the manager's own origin to the browser, so
// only the Host rule stands between it and the farm. It must read nothing and submit nothing,
// and the dashboard opened under such a name says why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, CHROMIUM } from '../helpers/browser';
import { ADMIN_TOKEN, onCleanup, registerWorker, testServer } from '../helpers/env';

const run = CHROMIUM !== undefined || process.env.CI !== undefined;

describe.runIf(run)('a page at a name rebound to the manager', { timeout: 60_000 }, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await Browser.launch(['--host-resolver-rules=MAP evil.example 127.0.0.1']);
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('cannot read the farm or submit a job, and the dashboard there shows the 421 message', async () => {
    const s = await testServer();
    await registerWorker(s.url, { nickname: 'gpu-box' });
    const port = new URL(s.url).port;
    const page = await browser.newPage();
    onCleanup(() => void page.send('Page.close').catch(() => undefined));
    await page.goto(`http://evil.example:${port}/`);
    const read = await page.eval<{ status: number; text: string }>(`fetch('/api/workers').then(async (r) => ({ status: r.status, text: await r.text() }))`);
    expect(read.status).toBe(421);
    expect(read.text).not.toContain('gpu-box');
    const submit = await page.eval<number>(`fetch('/api/v3/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'x', type: 'blender-render', priority: 50, submitter_platform: 'linux',
        settings: { blendfile: '/tmp/x.blend', frames: '1', render_output: '/tmp/o/######' } }) }).then((r) => r.status)`);
    expect(submit).toBe(421);
    expect(s.manager.readModels.jobList(undefined, { scope: 'all', limit: 10 }).jobs).toHaveLength(0);
    await page.waitFor(`document.body.innerText.includes('server_names')`, 'the refusal on the dashboard');

    // The same browser at the manager's address reads the farm.
    await page.goto(`http://127.0.0.1:${port}/#/workers`);
    await page.waitFor(`document.body.innerText.includes('gpu-box')`, 'the worker list');
    // And an admin with the token may use any name.
    const admin = await page.eval<number>(`fetch('http://127.0.0.1:${port}/api/workers', { headers: { Authorization: 'Bearer ${ADMIN_TOKEN}' } }).then((r) => r.status)`);
    expect(admin).toBe(200);
  });
});
