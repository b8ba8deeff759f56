// Who may choose what a worker runs: a submitter without the admin token (the Blender add-on's
// /api/v3 from trusted_networks) never; one with the token (POST /api/jobs, the CLI) may.
import { describe, expect, it } from 'vitest';
import { COMPILERS } from '../../src/core/jobs/compilers/index';
import { validateJob } from '../../src/core/jobs/jobs';
import { addonJobTypes } from '../../src/core/jobs/addon';
import { openToTrustedNetworks } from '../../src/core/jobs/submitters';
import { ForbiddenError, ValidationError } from '../../src/core/support/errors';
import { ADMIN_TOKEN, request, testServer, type TestServer } from '../helpers/env';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

/** A valid submission's settings, in the add-on's keys, per job type offered to it. */
const ADDON_SETTINGS: Record<string, Record<string, unknown>> = {
  'simple-blender-render': {
    frames: '1-3',
    chunk_size: 1,
    render_output_root: '/render',
    add_path_components: 0,
    render_output_path: '/render/shot/{timestamp}/######',
    blendfile: '/render/shot.blend',
    fps: 24,
    format: 'PNG',
    image_file_extension: '.png',
    scene: 'Scene',
  },
  'blender-render': {
    blendfile: '/render/shot.blend',
    frames: '1-3',
    render_output: '/render/out/######',
    format: 'PNG',
    fps: 24,
    output_file_extension: '.png',
    create_video: true,
  },
  'blender-video-chunks': { blendfile: '/render/shot.blend', frames: '1-10', render_output: '/render/v/######', fps: 24, output_file_extension: '.mkv', extract_audio: true },
  'blender-render-progressive': { blendfile: '/render/shot.blend', frames: '1-3', render_output: '/render/p/######', cycles_sample_count: 400, fps: 24 },
};

/** The attack as it was sent: a shell as Blender. */
const ATTACK_CMD = '/bin/sh -c "id > /tmp/x" sh';

function addonBody(type: string, settings: Record<string, unknown>) {
  return { name: `attack-${type}`, type, priority: 50, submitter_platform: 'linux', settings };
}

async function jobCount(s: TestServer): Promise<number> {
  const r = await request(s.url, 'GET', '/api/jobs?scope=all', { auth: `Bearer ${ADMIN_TOKEN}` });
  return (r.json as unknown[]).length;
}

describe('a submitter without the admin token cannot choose what a worker runs', () => {
  it('lists every job type the add-on is offered, and no more', () => {
    expect(Object.keys(ADDON_SETTINGS).sort()).toEqual(
      COMPILERS.filter(openToTrustedNetworks)
        .map((c) => c.job_type)
        .sort(),
    );
    expect(
      addonJobTypes()
        .map((t) => t.name)
        .sort(),
    ).toEqual(Object.keys(ADDON_SETTINGS).sort());
  });

  for (const type of ['blender-render', 'blender-video-chunks', 'blender-render-progressive']) {
    it(`refuses the attack on ${type} through /api/v3/jobs (and /check), naming the setting, and stores nothing`, async () => {
      const s = await testServer();
      for (const path of ['/api/v3/jobs/check', '/api/v3/jobs']) {
        const r = await request(s.url, 'POST', path, { body: addonBody(type, { ...ADDON_SETTINGS[type], blender_cmd: ATTACK_CMD }) });
        expect(r.status, r.text).toBe(403);
        expect(r.json).toEqual({ code: 403, message: expect.stringMatching(/^settings\.blender_cmd: only a submitter with the admin token may set it/) });
      }
      expect(await jobCount(s)).toBe(0);
      // The same job without the setting is accepted: the refusal is about the setting only.
      const ok = await request(s.url, 'POST', '/api/v3/jobs', { body: addonBody(type, ADDON_SETTINGS[type]!) });
      expect(ok.status, ok.text).toBe(200);
    });
  }

  for (const c of COMPILERS) {
    it(`${c.job_type}: what a tokenless submission may choose`, async () => {
      if (!openToTrustedNetworks(c)) {
        // Not offered to the add-on; and the core refuses it for any tokenless route.
        expect(() => validateJob({ name: 'x', job_type: c.job_type, settings: {} }, NOW, undefined, undefined, 'trusted-network')).toThrow(ForbiddenError);
        expect(() => validateJob({ name: 'x', job_type: c.job_type, settings: {} }, NOW, undefined, undefined, 'trusted-network')).toThrow(
          /^job_type: ".*" jobs need the admin token/,
        );
        return;
      }
      expect(
        addonJobTypes()
          .find((t) => t.name === c.job_type)!
          .settings.map((x) => x.key),
      ).not.toContain('blender_cmd');
      const s = await testServer();
      const r = await request(s.url, 'POST', '/api/v3/jobs', { body: addonBody(c.job_type, ADDON_SETTINGS[c.job_type]!) });
      expect(r.status, r.text).toBe(200);
      // Every program its tasks start is one of the manager's variables, and no task runs `exec`.
      for (const task of s.manager.repos.tasks.listForJob(r.json.id)) {
        for (const cmd of task.commands) {
          expect(cmd.name).not.toBe('exec');
          for (const [k, v] of Object.entries(cmd.settings)) {
            if (/_cmd$/.test(k)) expect([`${c.job_type} ${k}`, v]).toEqual([`${c.job_type} ${k}`, expect.stringMatching(/^\{(blender|ffmpeg)\}$/)]);
          }
        }
      }
      for (const spec of c.settings.filter((x) => x.admin_only)) {
        const bad = await request(s.url, 'POST', '/api/v3/jobs/check', { body: addonBody(c.job_type, { ...ADDON_SETTINGS[c.job_type], [spec.name]: 'anything' }) });
        expect(bad.status, bad.text).toBe(403);
        expect(bad.json.message).toMatch(new RegExp(`^settings\\.${spec.name}: `));
      }
    });
  }

  it('marks every setting that names a program admin-only, in every job type', () => {
    for (const c of COMPILERS) {
      for (const s of c.settings) {
        if (/(^|_)(cmd|command|exec|program|python)($|_)/.test(s.name)) expect(`${c.job_type}.${s.name}: ${s.admin_only}`).toBe(`${c.job_type}.${s.name}: true`);
      }
    }
  });

  it('refuses paths that start with "-", control characters, and file formats that are no names', async () => {
    const s = await testServer();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['blender-render', { blendfile: '--python-expr=import os' }, /^settings\.filepath: .* must not start with "-"/],
      ['blender-render', { render_output: '-o/x/######' }, /^settings\.render_output: .* must not start with "-"/],
      ['blender-render', { render_output: '/render/a\nb/######' }, /^settings\.render_output: must not contain control characters/],
      ['blender-render', { format: 'PNG --python x.py' }, /^settings\.format: .* must be a name of letters/],
      ['simple-blender-render', { blendfile: '-P' }, /^settings\.blendfile: .* must not start with "-"/],
      ['simple-blender-render', { render_output_root: '-x' }, /^settings\.render_output_root: /],
    ];
    for (const [type, change, message] of cases) {
      const r = await request(s.url, 'POST', '/api/v3/jobs', { body: addonBody(type, { ...ADDON_SETTINGS[type], ...change }) });
      expect(r.status, `${type} ${JSON.stringify(change)}: ${r.text}`).toBe(400);
      expect(r.json.message).toMatch(message);
    }
    expect(await jobCount(s)).toBe(0);
  });
});

describe('a submitter with the admin token', () => {
  it('may choose blender_cmd, and submit exec-command and custom jobs (POST /api/jobs)', async () => {
    const s = await testServer();
    const auth = `Bearer ${ADMIN_TOKEN}`;
    const render = await request(s.url, 'POST', '/api/jobs', {
      auth,
      body: {
        name: 'r',
        job_type: 'blender-render',
        settings: { filepath: '/r/x.blend', frames: '1', render_output: '/r/o/######', blender_cmd: '/opt/blender-4.2/blender --factory-startup' },
      },
    });
    expect(render.status, render.text).toBe(201);
    const exec = await request(s.url, 'POST', '/api/jobs', { auth, body: { name: 'e', job_type: 'exec-command', settings: { cmd: 'echo hello' } } });
    expect(exec.status, exec.text).toBe(201);
    // Without the token the admin API refuses before reading the body.
    const none = await request(s.url, 'POST', '/api/jobs', { body: { name: 'e', job_type: 'exec-command', settings: { cmd: 'echo hello' } } });
    expect(none.status).toBe(401);
  });

  it('keeps the control-character rule: it is about the value, not the submitter', () => {
    expect(() => validateJob({ name: 'x', job_type: 'blender-render', settings: { filepath: '/r/x.blend', frames: '1', render_output: '/r/o\u0000/######' } }, NOW)).toThrow(
      ValidationError,
    );
  });
});
