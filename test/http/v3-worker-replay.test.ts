// Replays what a Flamenco 3 Worker sent (test/fixtures/f3-worker) against a fresh manager holding
// the same job: every answer must have the recorded status, Content-Type and body shape, since
// the worker's client reads nothing else (a JSON Content-Type on a 204 or a missing key is an
// error to it).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { basicAuth, type TestServer, testServer } from '../helpers/env';
import { rawRequest, readLog, taskRec } from '../helpers/protocol';

interface Exchange {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | { base64: string } | null;
  answer: { status: number; contentType: string | null; body: string | { base64: string } | null };
}

const DIR = path.join(import.meta.dirname, '..', 'fixtures', 'f3-worker');

function recording(name: string): Exchange[] {
  return readFileSync(path.join(DIR, `${name}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Exchange);
}

/** The shape of a JSON value: its keys, recursively, and the types of its leaves. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

/**
 * Sends the recorded requests in order, with this manager's worker id and task ids in place of
 * the recorded ones; `before` runs before each (to do what an admin did at that point).
 */
async function replay(s: TestServer, exchanges: Exchange[], before: (e: Exchange) => void = () => undefined, after: (e: Exchange) => void = () => undefined) {
  const ids = new Map<string, string>();
  const swap = (text: string) => [...ids].reduce((t, [from, to]) => t.replaceAll(from, to), text);
  let auth = '';
  for (const e of exchanges) {
    before(e);
    const headers: Record<string, string> = { ...e.headers };
    if (headers.authorization !== 'Basic Og==') headers.authorization = auth;
    const body = e.body === null ? undefined : typeof e.body === 'string' ? e.body : Buffer.from(e.body.base64, 'base64');
    const r = await rawRequest(s.url, e.method, swap(e.path), { headers, body });
    const where = `${e.method} ${e.path} → ${r.status} ${r.text.slice(0, 200)}`;
    expect(r.status, where).toBe(e.answer.status);
    expect(r.headers.get('content-type'), where).toBe(e.answer.contentType);
    if (e.answer.contentType?.includes('json')) {
      const recorded = JSON.parse(e.answer.body as string);
      expect(shape(r.json), where).toEqual(shape(recorded));
      if (e.path.endsWith('/register-worker')) {
        ids.set(recorded.uuid, r.json.uuid);
        auth = basicAuth(r.json.uuid, JSON.parse(e.body as string).secret);
      }
      if (e.path.endsWith('/worker/task') && r.status === 200) ids.set(recorded.uuid, r.json.uuid);
      // Values that say what the worker does next, besides the shape.
      for (const k of ['status_requested', 'mayKeepRunning', 'statusChangeRequested', 'task_type', 'name', 'status']) {
        if (k in recorded && !e.path.endsWith('/register-worker')) expect(r.json[k], `${where}: ${k}`).toEqual(recorded[k]);
      }
    } else {
      expect(r.text, where).toBe('');
    }
    after(e);
  }
  return ids;
}

describe('replayed Flamenco 3 Worker sessions', { timeout: 30_000 }, () => {
  it('render: a 2-frame blender-render chunk with its images, then the move to the final folder', async () => {
    const s = await testServer();
    const { id: jobId } = s.manager.jobs.submit({
      name: 'recorded render',
      job_type: 'blender-render',
      settings: {
        filepath: '/tmp/f3w-2/scene.blend',
        frames: '1-2',
        chunk_size: 2,
        render_output: '/tmp/f3w-2/out/######',
        format: 'PNG',
        blender_cmd: '/work/wt/f3-worker/test/fixtures/fake-blender',
      },
    });
    const ids = await replay(s, recording('render'));
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('completed');
    const [render, move] = s.manager.repos.tasks.listForJob(jobId);
    expect([...ids.values()]).toContain(render!.id);
    // The uploaded image is the job's last rendered one.
    const shown = await fetch(`${s.url}/api/jobs/${jobId}/last-rendered`, { headers: { Authorization: 'Bearer test-admin-token-0123456789' } });
    expect(shown.headers.get('content-type')).toBe('image/jpeg');
    // Blender's lines read as Worker 2.5's: each with its time.
    const log = await readLog(s, jobId, render!.id);
    expect(log).toMatch(/^\S+Z: pid=\d+ > Saved: '.*000002\.png'$/m);
    expect(taskRec(s, move!.id).status).toBe('completed');
    expect(s.manager.repos.workers.list()[0]).toMatchObject({ status: 'offline', generation: 'v3' });
  });

  it('cancel: may-i-run says no, and the manager completes the cancel the worker never reports', async () => {
    const s = await testServer();
    const { id: jobId } = s.manager.jobs.submit({
      name: 'recorded cancel',
      job_type: 'custom',
      tasks: [
        {
          name: 'long sleep',
          task_type: 'sleep',
          commands: [
            { name: 'echo', settings: { message: 'going to sleep' } },
            { name: 'sleep', settings: { time_in_seconds: 30 } },
          ],
        },
      ],
    });
    const no = (e: Exchange) => e.path.endsWith('/may-i-run') && (e.answer.body as string).includes('"mayKeepRunning":false');
    await replay(
      s,
      recording('cancel'),
      // The admin canceled the job just before the worker's last may-i-run…
      (e) => no(e) && void s.manager.jobActions.cancel(jobId),
      // …and the cancel is complete at once: nothing more comes from the worker about the task.
      (e) => no(e) && expect(s.manager.repos.jobs.get(jobId)!.status).toBe('canceled'),
    );
    expect(s.manager.repos.jobs.get(jobId)!.status).toBe('canceled');
    expect(s.manager.repos.tasks.listForJob(jobId)[0]!.status).toBe('canceled');
  });
});
