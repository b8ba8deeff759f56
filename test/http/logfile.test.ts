// GET /logfile/{job}/{task}: admin auth, id checks, whole logs, byte ranges and ?tail=N.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, registerWorker, request, testServer } from '../helpers/env';
import { claim, expectError, NOT_IDS, readLog, submitJob, UNKNOWN_ID } from '../helpers/protocol';

const ADMIN = `Bearer ${ADMIN_TOKEN}`;

/** A task with a log of the assignment line plus `lines` numbered lines. */
async function withLog(lines: string[]) {
  const s = await testServer();
  const { jobId, ids } = submitJob(s, [{ name: 'a' }, { name: 'b' }]);
  const w = await registerWorker(s.url);
  await claim(w);
  if (lines.length > 0) expect((await w.call('POST', `/tasks/${ids.a}/update`, { log: lines.join('\n') })).status).toBe(204);
  const get = (query = '', headers: Record<string, string> = {}) => request(s.url, 'GET', `/logfile/${jobId}/${ids.a}${query}`, { headers: { Authorization: ADMIN, ...headers } });
  return { s, w, jobId, ids, get, full: await readLog(s, jobId, ids.a!) };
}

describe('GET /logfile/{job}/{task}', { timeout: 30_000 }, () => {
  it('needs the admin token: 401 without it or with a wrong one', async () => {
    const { s, w, jobId, ids } = await withLog(['secret path /home/x']);
    for (const auth of [
      undefined,
      '',
      'Bearer',
      'Bearer wrong-token',
      `Bearer ${ADMIN_TOKEN}x`,
      `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
      w.auth,
      ADMIN_TOKEN,
    ]) {
      const r = await request(s.url, 'GET', `/logfile/${jobId}/${ids.a}`, { headers: auth === undefined ? {} : { Authorization: auth } });
      expectError(r, 401);
      expect(r.text).not.toContain('secret path');
    }
  });

  it('includes the lines written just before: the answer waits for log writes under way', async () => {
    const s = await testServer();
    const { jobId, ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    await claim(w); // the manager's "assigned" line is written after this answer
    const r = await request(s.url, 'GET', `/logfile/${jobId}/${ids.a}`, { headers: { Authorization: ADMIN } });
    expect(r.status).toBe(200);
    expect(r.text).toContain(`Manager assigned task ${ids.a}`);
  });

  it('serves the whole log as text/plain', async () => {
    const { get, full } = await withLog(['one', 'two', 'three']);
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.text).toBe(full);
    expect(r.text.endsWith('one\ntwo\nthree\n')).toBe(true);
    expect(r.text).toContain('Manager assigned task');
  });

  it('answers 200 with an empty body for a task without a log yet', async () => {
    const { s, jobId, ids } = await withLog([]);
    const r = await request(s.url, 'GET', `/logfile/${jobId}/${ids.b}`, { headers: { Authorization: ADMIN } });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
  });

  it('answers 404 for unknown ids, ids that are not 24 hex, and a task of another job', async () => {
    const { s, jobId, ids } = await withLog(['x']);
    const { jobId: otherJob, ids: otherIds } = submitJob(s, [{ name: 'z' }]);
    const paths = [
      `/logfile/${UNKNOWN_ID}/${ids.a}`,
      `/logfile/${jobId}/${UNKNOWN_ID}`,
      `/logfile/${otherJob}/${ids.a}`,
      `/logfile/${jobId}/${otherIds.z}`,
      ...NOT_IDS.flatMap((bad) => [`/logfile/${bad}/${ids.a}`, `/logfile/${jobId}/${bad}`]),
      `/logfile/${jobId}/${ids.a}.txt`,
      `/logfile/${jobId}/task-${ids.a}.txt`,
    ];
    for (const p of paths) expectError(await request(s.url, 'GET', p, { headers: { Authorization: ADMIN } }), 404);
  });

  it('does not serve rotated logs through any URL', async () => {
    const { s, w, jobId, ids, get } = await withLog(['first run']);
    await w.call('POST', `/tasks/${ids.a}/return`);
    await claim(w);
    expect(await readLog(s, jobId, ids.a!, '.1')).toContain('first run');
    expect((await get()).text).not.toContain('first run');
    for (const suffix of ['.1', '.txt.1', '%2E1']) {
      expectError(await request(s.url, 'GET', `/logfile/${jobId}/${ids.a}${suffix}`, { headers: { Authorization: ADMIN } }), 404);
    }
  });

  it('answers a byte Range with 206 and Content-Range', async () => {
    const { get, full } = await withLog(['0123456789', 'abcdefghij']);
    const size = Buffer.byteLength(full);

    let r = await get('', { Range: 'bytes=0-9' });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes 0-9/${size}`);
    expect(r.text).toBe(full.slice(0, 10));

    r = await get('', { Range: 'bytes=-11' });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes ${size - 11}-${size - 1}/${size}`);
    expect(r.text).toBe('abcdefghij\n');

    r = await get('', { Range: `bytes=${size - 5}-` });
    expect(r.status).toBe(206);
    expect(r.text).toBe('ghij\n');

    r = await get('', { Range: `bytes=${size - 3}-${size + 100}` });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes ${size - 3}-${size - 1}/${size}`);
  });

  it('answers an unsatisfiable Range with 416, and ignores a malformed one', async () => {
    const { get, full } = await withLog(['abc']);
    const size = Buffer.byteLength(full);
    const r = await get('', { Range: `bytes=${size}-` });
    expectError(r, 416);
    expect(r.headers.get('content-range')).toBe(`bytes */${size}`);
    for (const range of ['bytes=abc', 'lines=1-2', 'bytes=-']) {
      const whole = await get('', { Range: range });
      expect(whole.status).toBe(200);
      expect(whole.text).toBe(full);
    }
  });

  it('serves the last N lines with ?tail=N', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    const { get, full } = await withLog(lines);
    let r = await get('?tail=3');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.text).toBe('line 47\nline 48\nline 49\n');
    r = await get('?tail=1');
    expect(r.text).toBe('line 49\n');
    r = await get('?tail=0');
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    r = await get('?tail=1000');
    expect(r.text).toBe(full);
  });

  it('reads the tail of a large log', async () => {
    const { w, ids, get } = await withLog([]);
    const chunk = Array.from({ length: 2000 }, (_, i) => `${String(i).padStart(5, '0')} ${'y'.repeat(120)}`).join('\n');
    for (let i = 0; i < 5; i++) expect((await w.call('POST', `/tasks/${ids.a}/update`, { log: chunk })).status).toBe(204);
    const r = await get('?tail=2');
    expect(r.text).toBe(`01998 ${'y'.repeat(120)}\n01999 ${'y'.repeat(120)}\n`);
  });

  it.skipIf(!existsSync('/proc/self/fd'))('answers HEAD without a body and without keeping the log open', async () => {
    const { s, jobId, ids } = await withLog(['x']);
    const head = () => request(s.url, 'HEAD', `/logfile/${jobId}/${ids.a}`, { headers: { Authorization: ADMIN } });
    await head();
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let i = 0; i < 30; i++) {
      const r = await head();
      expect(r.status).toBe(200);
      expect(r.text).toBe('');
    }
    expect(openFds() - before).toBeLessThan(10);
  });

  it.each(['-1', 'abc', '1.5', '', '1e3', '100001'])('answers 400 for ?tail=%s', async (n) => {
    const { get } = await withLog(['x']);
    expectError(await get(`?tail=${n}`), 400);
  });

  it('is not served for POST', async () => {
    const { s, jobId, ids } = await withLog(['x']);
    expectError(await request(s.url, 'POST', `/logfile/${jobId}/${ids.a}`, { headers: { Authorization: ADMIN } }), 405);
  });
});
