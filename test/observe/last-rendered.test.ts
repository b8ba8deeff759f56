import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetworks } from '../../src/core/support/networks';
import { OUTPUT_REPORTS_INTERVAL_MS } from '../../src/core/support/limits';
import { NOT_SHOWN } from '../../src/core/observe/last-rendered';
import { ADMIN_TOKEN, registerWorker, request, tempDir, testServer } from '../helpers/env';
import { claim, submitJob, UNKNOWN_ID } from '../helpers/protocol';
import { openEvents } from '../helpers/sse';
import { edited, recorded, replay } from '../helpers/addon';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rest of a png')]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('jfif')]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([1, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);
const EXR = Buffer.concat([Buffer.from([0x76, 0x2f, 0x31, 0x01]), Buffer.from('exr data')]);

/** A farm whose shared storage is a temp folder holding `files`, and a worker on a job's task there. */
async function rendering(files: Record<string, Buffer | string>) {
  const dir = tempDir();
  const s = await testServer({ config: { shared_storage: dir } });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  const { jobId } = submitJob(s, [{ name: 'a' }, { name: 'b' }]);
  const w = await registerWorker(s.url);
  await claim(w);
  const report = async (name: string) => {
    // A worker's reports are kept at most once a second.
    s.clock.advance(OUTPUT_REPORTS_INTERVAL_MS);
    expect((await w.call('POST', '/output-produced', { paths: [name.startsWith('/') ? name : path.join(dir, name)] })).status).toBe(204);
  };
  return { s, dir, jobId, report, w };
}

async function get(url: string, p: string, headers: Record<string, string> = {}) {
  const res = await fetch(url + p, { headers });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

describe('last-rendered images', () => {
  it.each([
    ['png', PNG, 'image/png'],
    ['jpg', JPEG, 'image/jpeg'],
    ['webp', WEBP, 'image/webp'],
  ])('serves the newest %s a worker reported, per job and farm-wide, by its content', async (ext, content, type) => {
    const { s, jobId, report } = await rendering({ [`0001.${ext}`]: content, 'old.png': PNG });
    await report('old.png');
    await report(`0001.${ext}`);
    for (const p of [`/api/jobs/${jobId}/last-rendered`, '/api/last-rendered']) {
      const r = await get(s.url, p);
      expect(r.status).toBe(200);
      expect(r.type).toBe(type);
      expect(r.body.equals(content)).toBe(true);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('answers with the path and the reason when there is nothing to show', async () => {
    const { s, dir, jobId, report } = await rendering({ 'frame.exr': EXR, 'fake.png': '<script>alert(1)</script>', 'empty.png': '' });
    const other = submitJob(s, [{ name: 'x' }]).jobId;
    expect((await request(s.url, 'GET', `/api/jobs/${other}/last-rendered`)).json).toEqual({
      job: other,
      path: null,
      reason: 'no worker has reported a rendered image for this job yet',
    });
    const cases: [string, RegExp][] = [
      ['frame.exr', /OpenEXR/],
      ['fake.png', /not a PNG, JPEG or WebP/],
      ['empty.png', /not a PNG, JPEG or WebP/],
      ['missing.png', new RegExp(`^${NOT_SHOWN}$`)],
    ];
    for (const [name, reason] of cases) {
      await report(name);
      const r = await request(s.url, 'GET', `/api/jobs/${jobId}/last-rendered`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      expect(r.json).toEqual({ job: jobId, path: path.join(dir, name), reason: expect.stringMatching(reason) });
    }
    mkdirSync(path.join(dir, 'dir.png'));
    await report('dir.png');
    expect((await request(s.url, 'GET', '/api/last-rendered')).json.reason).toBe(NOT_SHOWN);
  });

  it('serves only what a worker reported: no path from the client, no image of another job', async () => {
    const { s, dir, report } = await rendering({ 'a.png': PNG });
    symlinkSync(path.join(dir, 'a.png'), path.join(dir, 'link.png'));
    await report('a.png');
    const other = submitJob(s, [{ name: 'x' }]).jobId;
    const r = await get(s.url, `/api/jobs/${other}/last-rendered?path=${encodeURIComponent(path.join(dir, 'a.png'))}`);
    expect(r.type).toMatch(/^application\/json/);
    expect(JSON.parse(r.body.toString()).path).toBeNull();
    expect((await request(s.url, 'GET', `/api/jobs/${UNKNOWN_ID}/last-rendered`)).status).toBe(404);
    expect((await request(s.url, 'GET', '/api/jobs/..%2F..%2Fetc%2Fpasswd/last-rendered')).status).toBe(404);
  });

  it('never waits on what a worker names: a named pipe is refused at once, and serve answers meanwhile', async () => {
    const { s, dir, jobId, report } = await rendering({});
    // Opening a FIFO for reading blocks until a writer comes, unless it is opened without blocking.
    execFileSync('mkfifo', [path.join(dir, 'pipe.png')]);
    await report('pipe.png');
    await s.manager.observe.lastRendered.capture(jobId, path.join(dir, 'pipe.png'));
    for (const p of [`/api/jobs/${jobId}/last-rendered`, '/api/last-rendered']) {
      const r = await request(s.url, 'GET', p);
      expect(r.json).toEqual({ job: p === '/api/last-rendered' ? null : jobId, path: path.join(dir, 'pipe.png'), reason: NOT_SHOWN });
    }
    expect((await request(s.url, 'GET', '/api/farm')).status).toBe(200);
  });

  it('answers a request that comes while the copy is under way with the copy, so the ETag does not change after it', async () => {
    const { s, dir, jobId, report } = await rendering({ '0001.png': PNG });
    await report('0001.png');
    // The report's event starts the copy; a dashboard that heard of it asks at once.
    s.manager.observe.feed.poll();
    const lr = s.manager.observe.lastRendered;
    const early = await Promise.all([lr.open(jobId), lr.open()]);
    await lr.capture(jobId, path.join(dir, '0001.png'));
    const later = await Promise.all([lr.open(jobId), lr.open()]);
    for (const p of [...early, ...later]) if ('handle' in p) await p.handle.close();
    expect(early.map((p) => ('version' in p ? p.version : p))).toEqual(later.map((p) => ('version' in p ? p.version : p)));
  });

  it('keeps nothing from a worker that never had a task, and counts a report just after the task ended', async () => {
    const { s, dir, jobId } = await rendering({ 'private.png': PNG, 'last-frame.png': JPEG });
    const stranger = await registerWorker(s.url, { nickname: 'stranger', types: ['none'] });
    expect((await stranger.call('POST', '/output-produced', { paths: [path.join(dir, 'private.png')] })).status).toBe(204);
    expect((await request(s.url, 'GET', '/api/last-rendered')).json).toEqual({ job: null, path: null, reason: 'no worker has reported a rendered image yet' });

    // The worker's report of its last frame may come after its task's completion.
    const w = await registerWorker(s.url);
    const t = await claim(w);
    expect((await w.call('POST', `/tasks/${t._id}/update`, { task_status: 'completed' })).status).toBe(204);
    expect((await w.call('POST', '/output-produced', { paths: [path.join(dir, 'last-frame.png')] })).status).toBe(204);
    for (const p of [`/api/jobs/${jobId}/last-rendered`, '/api/last-rendered']) expect((await get(s.url, p)).body.equals(JPEG)).toBe(true);
  });

  it('is an event on the stream', async () => {
    const { s, dir, jobId, report } = await rendering({ 'a.png': PNG });
    const c = await openEvents(s.url);
    await report('a.png');
    s.manager.observe.feed.poll();
    const e = await c.waitFor((x) => x.event === 'last-rendered');
    expect(e.data).toMatchObject({ job: jobId, path: path.join(dir, 'a.png') });
  });

  it('needs the admin token from outside trusted_networks', async () => {
    const s = await testServer({ config: { trusted_networks: parseNetworks(['10.0.0.0/8']) } });
    expect((await request(s.url, 'GET', '/api/last-rendered')).status).toBe(401);
    expect((await request(s.url, 'GET', '/api/last-rendered', { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  });
});

describe('the kept copy', () => {
  it('still shows a frame after it was moved away, and is forgotten with its job', async () => {
    const { s, dir, jobId, report } = await rendering({ '0001.png': PNG });
    await report('0001.png');
    s.manager.observe.feed.poll();
    await s.manager.observe.lastRendered.capture(jobId, path.join(dir, '0001.png'));
    const { renameSync, existsSync } = await import('node:fs');
    renameSync(path.join(dir, '0001.png'), path.join(dir, 'final.png'));
    for (const p of [`/api/jobs/${jobId}/last-rendered`, '/api/last-rendered']) {
      const r = await get(s.url, p);
      expect(r.type, p).toBe('image/png');
      expect(r.body.equals(PNG)).toBe(true);
    }
    // A newer report that cannot be shown wins over the older copy.
    writeFileSync(path.join(dir, '0002.exr'), EXR);
    await report('0002.exr');
    s.manager.observe.feed.poll();
    expect((await request(s.url, 'GET', `/api/jobs/${jobId}/last-rendered`)).json.reason).toMatch(/OpenEXR/);

    const kept = path.join(s.dataDir, 'last-rendered', jobId);
    expect(existsSync(kept)).toBe(true);
    const w = s.manager.repos.workers.list()[0]!;
    await s.manager.repos.write(() => s.manager.queue.requeueWorker(w.id));
    s.manager.jobActions.cancel(jobId);
    s.manager.jobActions.delete(jobId);
    s.manager.observe.feed.poll();
    for (let i = 0; i < 100 && existsSync(kept); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(kept)).toBe(false);
  });
});

describe('what a worker may point at', () => {
  it("only files below the shared storage or the job's output folders, with no symbolic link on the way, and one reason for all else", async () => {
    const { s, dir, jobId, report } = await rendering({ 'a.png': PNG });
    const outside = tempDir();
    writeFileSync(path.join(outside, 'secret.png'), PNG);
    symlinkSync(path.join(outside, 'secret.png'), path.join(dir, 'link-out.png'));
    symlinkSync(path.join(dir, 'a.png'), path.join(dir, 'link-in.png'));
    symlinkSync(outside, path.join(dir, 'linked-dir'));
    const refused = [
      path.join(outside, 'secret.png'),
      path.join(outside, 'missing.png'),
      path.join(dir, 'link-out.png'),
      path.join(dir, 'link-in.png'),
      path.join(dir, 'linked-dir', 'secret.png'),
      path.join(dir, '..', path.basename(outside), 'secret.png'),
      '/etc/passwd',
    ];
    for (const p of refused) {
      await report(p);
      s.manager.observe.feed.poll();
      await s.manager.observe.lastRendered.capture(jobId, p);
      const r = await request(s.url, 'GET', `/api/jobs/${jobId}/last-rendered`);
      expect(r.json, p).toEqual({ job: jobId, path: p, reason: NOT_SHOWN });
    }
    await report('a.png');
    expect((await get(s.url, `/api/jobs/${jobId}/last-rendered`)).body.equals(PNG)).toBe(true);
  });

  it("counts the job's output folder and its intermediate folders, from the job's settings", async () => {
    const out = tempDir();
    mkdirSync(path.join(out, 'shot'));
    mkdirSync(path.join(out, 'shot__intermediate-2026-11-27_120000'));
    writeFileSync(path.join(out, 'shot', '0001.png'), PNG);
    writeFileSync(path.join(out, 'shot__intermediate-2026-11-27_120000', '0002.png'), JPEG);
    const elsewhere = tempDir();
    writeFileSync(path.join(elsewhere, '0003.png'), PNG);
    const s = await testServer();
    const sub = edited(recorded('submit', 'POST', '/api/v3/jobs'), (b) => {
      b.settings.render_output_root = `${out}/`;
      b.settings.render_output_path = `${out}/shot/######`;
      delete b.worker_tag;
    });
    const job = await replay(s.url, sub);
    expect(job.status, `${sub.path} ${job.text}`).toBe(200);
    const w = await registerWorker(s.url, { types: ['blender-render', 'video-encoding'] });
    await claim(w);
    const show = async (file: string) => {
      s.clock.advance(OUTPUT_REPORTS_INTERVAL_MS);
      expect((await w.call('POST', '/output-produced', { paths: [file] })).status).toBe(204);
      return get(s.url, `/api/jobs/${job.json.id}/last-rendered`);
    };
    expect((await show(path.join(out, 'shot', '0001.png'))).body.equals(PNG)).toBe(true);
    expect((await show(path.join(out, 'shot__intermediate-2026-11-27_120000', '0002.png'))).body.equals(JPEG)).toBe(true);
    expect(JSON.parse((await show(path.join(elsewhere, '0003.png'))).body.toString()).reason).toBe(NOT_SHOWN);
  });
});

describe('output folders a tokenless submitter names', () => {
  it.each([
    ['the root folder', '/'],
    ["a relative folder (serve's working folder)", 'docs'],
    ['an empty folder', ''],
  ])("%s does not make files of serve's own disk count", async (_what, root) => {
    // An image in serve's working folder (the checkout the tests run in), outside any render's folder.
    const own = path.join(process.cwd(), 'docs', 'dashboard-job.png');
    const s = await testServer();
    const sub = edited(recorded('submit', 'POST', '/api/v3/jobs'), (b) => {
      b.settings.render_output_root = root;
      b.settings.render_output_path = '/render/shot/######';
      delete b.worker_tag;
    });
    const job = await replay(s.url, sub);
    if (job.status !== 200) {
      // Refused outright is as good.
      expect(job.status, job.text).toBe(400);
      return;
    }
    const w = await registerWorker(s.url, { types: ['blender-render', 'video-encoding'] });
    await claim(w);
    s.clock.advance(OUTPUT_REPORTS_INTERVAL_MS);
    expect((await w.call('POST', '/output-produced', { paths: [own] })).status).toBe(204);
    const r = await get(s.url, `/api/jobs/${job.json.id}/last-rendered`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString()).reason).toBe(NOT_SHOWN);
  });
});

describe('copies and answers of an image', () => {
  it('is served with an ETag and answered 304 while it is unchanged', async () => {
    const { s, dir, jobId, report } = await rendering({ 'a.png': PNG });
    await report('a.png');
    const first = await get(s.url, `/api/jobs/${jobId}/last-rendered`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-z-]+"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const again = await get(s.url, `/api/jobs/${jobId}/last-rendered`, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.get('etag')).toBe(etag);
    // A new frame under the same name is a new ETag.
    writeFileSync(path.join(dir, 'a.png'), Buffer.concat([PNG, Buffer.from('more')]));
    await report('a.png');
    const changed = await get(s.url, `/api/jobs/${jobId}/last-rendered`, { 'If-None-Match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('copies an unchanged file once, and a job has at most one copy under way and one waiting', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 30; i++) files[`${i}.png`] = PNG;
    const { s, dir, jobId } = await rendering(files);
    const lr = s.manager.observe.lastRendered;
    await lr.capture(jobId, path.join(dir, '0.png'));
    await lr.capture(jobId, path.join(dir, '0.png'));
    await lr.capture(jobId, path.join(dir, '0.png'));
    expect(lr.copiesMade).toBe(1);
    // Thirty reports at once: the one under way, then the newest.
    await Promise.all(Array.from({ length: 30 }, (_, i) => lr.capture(jobId, path.join(dir, `${(i + 1) % 30}.png`))));
    expect(lr.copiesMade).toBe(3);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(s.dataDir, 'last-rendered', `${jobId}.path`), 'utf8')).toBe(path.join(dir, '0.png'));
  });
});
