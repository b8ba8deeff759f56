// /api/v3, the Blender add-on's API, driven by the requests its own client sent (recorded in
// test/fixtures/f3-addon): every answer must have what the add-on's client requires, errors have
// Flamenco 3's {code, message} body, and only trusted networks may use it.
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/core/support/logger';
import { parseNetworks } from '../../src/core/support/networks';
import { edited, recorded, recording, replay } from '../helpers/addon';
import { registerWorker, request, testServer, type HttpResult, type TestServer } from '../helpers/env';

// Required fields and enums of Flamenco 3's OpenAPI schemas, which its client enforces.
const REQUIRED = {
  FlamencoVersion: ['version', 'shortversion', 'name', 'git'],
  SharedStorageLocation: ['location', 'audience', 'platform', 'shamanEnabled'],
  AvailableJobType: ['name', 'label', 'settings', 'etag'],
  AvailableJobSetting: ['key', 'type'],
  Job: ['name', 'type', 'priority', 'submitter_platform', 'id', 'created', 'updated', 'status', 'activity', 'steps_completed', 'steps_total'],
};
const F3_JOB_STATUSES = ['active', 'canceled', 'completed', 'failed', 'paused', 'pause-requested', 'queued', 'cancel-requested', 'requeueing', 'under-construction'];
const SETTING_TYPES = ['string', 'int32', 'float', 'bool'];
const VISIBILITY = ['visible', 'hidden', 'submission', 'web'];
const SUBTYPES = ['file_path', 'dir_path', 'file_name', 'hashed_file_path'];

/** A farm with shared storage on a two-way variable, as a studio with Windows artists has it. */
function farm(extra: Record<string, unknown> = {}, logger?: Logger): Promise<TestServer> {
  return testServer({
    logger,
    config: {
      shared_storage: '/mnt/render/jobs',
      variables: {
        blender: { direction: 'one-way', values: [{ platform: 'linux', value: '/opt/blender/blender', audience: 'all' }] },
        render: {
          direction: 'two-way',
          values: [
            { platform: 'linux', value: '/mnt/render', audience: 'all' },
            { platform: 'windows', value: 'S:/render', audience: 'all' },
            { platform: 'darwin', value: '/Volumes/render', audience: 'users' },
          ],
        },
      },
      ...extra,
    },
  });
}

function expectRequired(obj: Record<string, unknown>, fields: string[]): void {
  for (const f of fields) expect(obj, f).toHaveProperty(f);
}

function expectF3Error(r: HttpResult, status: number, message?: RegExp): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  expect(r.json).toEqual({ code: status, message: expect.any(String) });
  if (message) expect(r.json.message).toMatch(message);
}

describe('refresh, as the add-on does it', () => {
  it('answers the four requests with what the add-on requires', async () => {
    const s = await farm();
    const w = await registerWorker(s.url, { nickname: 'gpu-box' });
    s.manager.workerTags.change(w.id, { set: ['gpu', 'eevee'] });
    const answers = new Map<string, any>();
    for (const r of recording('refresh')) {
      const res = await replay(s.url, r);
      expect(res.status, `${r.path}: ${res.text}`).toBe(200);
      answers.set(r.path.split('/').slice(3, 5).join('/'), res.json);
    }

    const version = answers.get('version')!;
    expectRequired(version, REQUIRED.FlamencoVersion);
    // The add-on's own version (from its User-Agent), so it does not warn on every submit.
    expect(version.shortversion).toBe('3.9-beta1');

    const storage = answers.get('configuration/shared-storage')!;
    expectRequired(storage, REQUIRED.SharedStorageLocation);
    expect(storage).toEqual({ location: '/mnt/render/jobs', audience: 'users', platform: 'linux', shamanEnabled: false });

    const { job_types } = answers.get('jobs/types')!;
    expect(job_types.map((t: { name: string }) => t.name)).toEqual(['simple-blender-render', 'blender-render', 'blender-video-chunks', 'blender-render-progressive']);
    for (const t of job_types) {
      expectRequired(t, REQUIRED.AvailableJobType);
      for (const setting of t.settings) {
        expectRequired(setting, REQUIRED.AvailableJobSetting);
        expect(SETTING_TYPES).toContain(setting.type);
        if (setting.visible !== undefined) expect(VISIBILITY).toContain(setting.visible);
        if (setting.subtype !== undefined) expect(SUBTYPES).toContain(setting.subtype);
      }
      // The add-on puts the path of the .blend it packed into the setting called blendfile.
      expect(t.settings.filter((x: { key: string; type: string }) => x.key === 'blendfile' && x.type === 'string')).toHaveLength(1);
    }

    expect(answers.get('worker-mgt/tags')).toEqual({
      tags: [
        { id: 'eevee', name: 'eevee' },
        { id: 'gpu', name: 'gpu' },
      ],
    });
  });

  it("offers simple-blender-render with Flamenco 3's setting keys, types, subtypes, visibility and scene expressions", async () => {
    const s = await farm();
    const { job_types } = (await replay(s.url, recorded('refresh', 'GET', '/api/v3/jobs/types'))).json;
    const sbr = job_types.find((t: { name: string }) => t.name === 'simple-blender-render');
    const shape = sbr.settings.map((x: any) => [x.key, x.type, x.subtype ?? '', x.visible ?? 'visible', x.eval ?? '', x.required === true]);
    expect(shape).toEqual([
      ['frames', 'string', '', 'visible', "f'{C.scene.frame_start}-{C.scene.frame_end}'", true],
      ['chunk_size', 'int32', '', 'submission', '', false],
      ['render_output_root', 'string', 'dir_path', 'submission', '', true],
      ['add_path_components', 'int32', '', 'submission', '', true],
      [
        'render_output_path',
        'string',
        'file_path',
        'visible',
        "str(Path(abspath(settings.render_output_root), last_n_dir_parts(settings.add_path_components), jobname, '{timestamp}', '######'))",
        false,
      ],
      ['blendfile', 'string', '', 'web', '', true],
      ['fps', 'float', '', 'hidden', 'C.scene.render.fps / C.scene.render.fps_base', false],
      ['format', 'string', '', 'web', 'C.scene.render.image_settings.file_format', true],
      ['image_file_extension', 'string', '', 'hidden', 'C.scene.render.file_extension', true],
      ['has_previews', 'bool', '', 'hidden', 'C.scene.render.image_settings.use_preview', false],
      ['scene', 'string', '', 'web', 'C.scene.name', true],
    ]);
    expect(sbr.settings[0].evalInfo).toEqual({ showLinkButton: true, description: expect.any(String) });
    expect(sbr.settings.find((x: any) => x.key === 'add_path_components')).toMatchObject({ default: 0, propargs: { min: 0, max: 32 } });
    expect(sbr.settings.find((x: any) => x.key === 'render_output_path').editable).toBe(false);
    expect(sbr.etag).toMatch(/^[0-9a-f]{64}$/);
    expect((await request(s.url, 'GET', '/api/v3/jobs/type/simple-blender-render')).json).toEqual(sbr);
    expectF3Error(await request(s.url, 'GET', '/api/v3/jobs/type/custom'), 404, /offered to Blender/);
  });

  it('tells each platform and audience its own path of the shared storage', async () => {
    const s = await farm();
    const at = async (audience: string, platform: string) => (await request(s.url, 'GET', `/api/v3/configuration/shared-storage/${audience}/${platform}`)).json;
    expect((await at('users', 'windows')).location).toBe('S:/render/jobs');
    expect((await at('users', 'darwin')).location).toBe('/Volumes/render/jobs');
    // The darwin value is for users only: workers on darwin get the path as it is.
    expect((await at('workers', 'darwin')).location).toBe('/mnt/render/jobs');
    expect(await at('workers', 'linux')).toEqual({ location: '/mnt/render/jobs', audience: 'workers', platform: 'linux', shamanEnabled: false });
    expectF3Error(await request(s.url, 'GET', '/api/v3/configuration/shared-storage/admins/linux'), 400, /audience/);
    expectF3Error(await request(s.url, 'GET', '/api/v3/configuration/shared-storage/users/a%20b'), 400, /platform/);
  });

  it('answers the version pinned in the config, and its own to other clients', async () => {
    const pinned = await farm({ addon_version: '3.8' });
    expect((await replay(pinned.url, recorded('refresh', 'GET', '/api/v3/version'))).json.shortversion).toBe('3.8');
    const s = await farm();
    const other = await request(s.url, 'GET', '/api/v3/version', { headers: { 'User-Agent': 'curl/8.0' } });
    expectRequired(other.json, REQUIRED.FlamencoVersion);
    expect(other.json.name).toBe('flamenco-mgr');
  });
});

describe('check and submit, as the add-on does it', () => {
  it('checks (204, nothing stored), then submits a job the add-on can read, with its tag, platform and paths', async () => {
    const s = await farm();
    const check = await replay(s.url, recorded('submit', 'POST', '/api/v3/jobs/check'));
    expect(check.status, check.text).toBe(204);
    expect(s.manager.readModels.jobs()).toEqual([]);

    const res = await replay(s.url, recorded('submit', 'POST', '/api/v3/jobs'));
    expect(res.status, res.text).toBe(200);
    const job = res.json;
    expectRequired(job, REQUIRED.Job);
    expect(F3_JOB_STATUSES).toContain(job.status);
    expect(job).toMatchObject({
      name: 'shot12',
      type: 'simple-blender-render',
      priority: 50,
      status: 'queued',
      worker_tag: 'gpu',
      submitter_platform: 'linux',
      steps_completed: 0,
      steps_total: 5,
    });
    expect((await request(s.url, 'GET', `/api/v3/jobs/${job.id}`)).json).toEqual(job);

    // Stored with the two-way variable, the {timestamp} as the creation time (the manual clock's).
    const detail = s.manager.readModels.job(job.id);
    expect(detail).toMatchObject({ tag: 'gpu', submitter_platform: 'linux', metadata: {} });
    expect(detail.settings.blendfile).toBe('{render}/jobs/2026-11-30-120000-shot12/shot12.flamenco.blend');
    expect(detail.settings.render_output_path).toBe('{render}/frames/shot12/2026-11-27_120000/######');
    expect(detail.task_list.map((t) => t.name)).toEqual(['render-1-3', 'render-4-6', 'render-7-9', 'render-10', 'preview-video']);

    // Only a worker with the tag gets its tasks, with the paths of its platform.
    const plain = await registerWorker(s.url, { nickname: 'plain', types: ['blender-render'] });
    const gpu = await registerWorker(s.url, { nickname: 'gpu', types: ['blender-render'] });
    s.manager.workerTags.change('gpu', { add: 'gpu' });
    expect((await plain.call('POST', '/task')).status).toBe(204);
    const task = await gpu.call('POST', '/task');
    expect(task.status).toBe(200);
    expect(task.json.commands[0]).toEqual({
      name: 'blender_render',
      settings: {
        blender_cmd: '/opt/blender/blender',
        filepath: '/mnt/render/jobs/2026-11-30-120000-shot12/shot12.flamenco.blend',
        python_expr: expect.stringContaining('use_overwrite = False'),
        render_output: '/mnt/render/frames/shot12/2026-11-27_120000/######',
        format: 'PNG',
        frames: '1..3',
      },
    });
  });

  it('submits paused when asked, and the job is steered like any other', async () => {
    const s = await farm();
    const res = await replay(
      s.url,
      edited(recorded('submit', 'POST', '/api/v3/jobs'), (b) => (b.initial_status = 'paused')),
    );
    expect(res.json.status).toBe('paused');
    s.manager.jobActions.resume(res.json.id);
    s.manager.jobActions.cancel(res.json.id);
    expect((await request(s.url, 'GET', `/api/v3/jobs/${res.json.id}`)).json.status).toBe('canceled');
    expect(s.manager.queue.requeueJob(res.json.id, false)).toBe(5);
    expect((await request(s.url, 'GET', `/api/v3/jobs/${res.json.id}`)).json.status).toBe('queued');
  });

  it('refuses a stale job type etag with 412 and stores nothing', async () => {
    const s = await farm();
    const stale = recorded('stale-etag', 'POST', '/api/v3/jobs/check');
    expectF3Error(await replay(s.url, stale), 412, /refresh the job types/);
    expectF3Error(await replay(s.url, { ...stale, path: '/api/v3/jobs' }), 412, /refresh the job types/);
    expect(s.manager.readModels.jobs()).toEqual([]);
  });

  it('refuses bad settings with 400 and a message naming the setting', async () => {
    const s = await farm();
    const bad = recorded('bad-frames', 'POST', '/api/v3/jobs/check');
    expectF3Error(await replay(s.url, bad), 400, /frames: "1-x"/);
    expectF3Error(await replay(s.url, { ...bad, path: '/api/v3/jobs' }), 400, /frames/);
    const ok = recorded('submit', 'POST', '/api/v3/jobs');
    const cases: [(b: any) => void, RegExp][] = [
      [(b) => (b.settings.format = 'FFMPEG'), /renders images, not FFMPEG/],
      [(b) => (b.settings.chunk_size = 0), /chunk_size: must be an integer ≥ 1/],
      [(b) => delete b.settings.render_output_path, /render_output_path: required/],
      [(b) => (b.type = 'custom'), /not offered to Blender/],
      [(b) => (b.initial_status = 'active'), /initial_status/],
      [(b) => (b.worker_tag = 7), /worker_tag/],
      [(b) => (b.settings.unknown = 1), /settings.unknown: unknown setting/],
      [(b) => delete b.submitter_platform, /submitter_platform/],
    ];
    for (const [edit, message] of cases) expectF3Error(await replay(s.url, edited(ok, edit)), 400, message);
    expectF3Error(await replay(s.url, { ...ok, body: '{"name": ' }), 400, /malformed JSON/);
    expectF3Error(await replay(s.url, { ...ok, body: 'x'.repeat(2 * 1024 * 1024) }), 413);
    expectF3Error(await request(s.url, 'GET', '/api/v3/jobs/0123456789abcdef01234567'), 404);
    expect(s.manager.readModels.jobs()).toEqual([]);
  });
});

describe('who may use /api/v3', () => {
  it('answers 403 naming trusted_networks to an address outside it, before reading a body, and stores nothing', async () => {
    const lines: string[] = [];
    const s = await farm(
      { trusted_networks: parseNetworks(['127.0.0.1/32']) },
      createLogger('info', (l) => lines.push(l)),
    );
    const requests = [...recording('refresh'), ...recording('submit')];
    for (const r of requests) {
      const res = await replay(s.url, r, { localAddress: '127.0.0.2' });
      expectF3Error(res, 403, /trusted_networks/);
      expect(res.json.message).toContain('127.0.0.2');
    }
    expect(s.manager.readModels.jobs()).toEqual([]);
    // Logged once: repeated refusals from one address are counted, not logged each (refusal-log.ts).
    expect(lines.filter((l) => l.includes('level=warn msg="add-on request refused: untrusted address" address=127.0.0.2'))).toHaveLength(1);
    // The same requests from the trusted address work, and the submission is logged with it.
    for (const r of recording('submit')) expect((await replay(s.url, r)).status).toBeLessThan(300);
    expect(lines.filter((l) => l.includes('msg="job submitted"') && l.includes('via=blender-addon address=127.0.0.1'))).toHaveLength(1);
  });
});

describe('a web page on a trusted network', () => {
  it('cannot make a browser submit: JSON only, and nothing marked as coming from another site', async () => {
    const s = await farm();
    const submit = recording('submit').find((r) => r.method === 'POST' && r.path === '/api/v3/jobs')!;
    const post = (headers: Record<string, string>) =>
      request(s.url, 'POST', '/api/v3/jobs', { rawBody: submit.body!, headers: { 'Content-Type': 'application/json', ...headers } });
    // What a form or a cross-site fetch without asking first can send.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      expectF3Error(await post({ 'Content-Type': type }), 415, /must be JSON/);
    }
    expectF3Error(await post({ Origin: 'http://evil.example' }), 403, /another site/);
    expectF3Error(await post({ Origin: 'null' }), 403, /another site/);
    expectF3Error(await post({ 'Sec-Fetch-Site': 'cross-site' }), 403, /another site/);
    expect(s.manager.readModels.jobs()).toEqual([]);
    // The add-on's own request (JSON, no Origin), and one from the manager's own origin, go through.
    expect((await post({})).status).toBe(200);
    const host = new URL(s.url).host;
    expect((await post({ Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(200);
    expect(s.manager.readModels.jobs()).toHaveLength(2);
  });
});
