import { describe, expect, it } from 'vitest';
import { addonJobTypeNamed, fromAddonSubmission } from '../../../../src/core/jobs/addon';
import { validateJob } from '../../../../src/core/jobs/jobs';
import { Variables } from '../../../../src/core/jobs/variables';
import { ValidationError } from '../../../../src/core/support/errors';
import { sceneJob } from '../../../helpers/addon';

// 2026-11-27 12:00:00 UTC, the test clock's default time.
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const DIR = '/render/shot12/2026-11-27_120000';

const compile = (settings: Record<string, unknown> = {}) => validateJob(sceneJob(settings), NOW);
const refused = (settings: Record<string, unknown>) => {
  try {
    compile(settings);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('no error');
};

describe('simple-blender-render', () => {
  it('renders each chunk straight into the {timestamp} folder, then makes a preview video from all of them', () => {
    const j = compile();
    expect(j.settings.render_output_path).toBe(`${DIR}/######`);
    expect(j.tasks.map((t) => [t.name, t.task_type, t.parents])).toEqual([
      ['render-1-3', 'blender-render', []],
      ['render-4-6', 'blender-render', []],
      ['render-7-9', 'blender-render', []],
      ['render-10', 'blender-render', []],
      ['preview-video', 'video-encoding', ['render-1-3', 'render-4-6', 'render-7-9', 'render-10']],
    ]);
    expect(j.tasks[0]!.commands).toEqual([
      {
        name: 'blender_render',
        settings: {
          blender_cmd: '{blender}',
          filepath: '/jobs/shot12.flamenco.blend',
          python_expr: expect.stringMatching(/^import bpy; /),
          render_output: `${DIR}/######`,
          format: 'PNG',
          frames: '1..3',
        },
      },
    ]);
    expect(j.tasks[4]!.commands).toEqual([
      {
        name: 'create_video',
        settings: { ffmpeg_cmd: '{ffmpeg}', input_files: `${DIR}/*.png`, output_file: `${DIR}/shot12-1-10.mp4`, fps: 24 },
      },
    ]);
  });

  it("accepts Flamenco 3's frame syntax: a-b, a..b and lists", () => {
    expect(compile({ frames: '1..4, 7', chunk_size: 2 }).tasks.map((t) => t.name)).toEqual(['render-1,2', 'render-3,4', 'render-7', 'preview-video']);
    expect(compile({ frames: '1..4, 7' }).tasks.at(-1)!.commands[0]!.settings.output_file).toBe(`${DIR}/shot12-1-7.mp4`);
  });

  it('makes no video without fps, nor of EXR frames without previews; with previews it uses their JPEGs', () => {
    expect(compile({ fps: 0 }).tasks.map((t) => t.name)).not.toContain('preview-video');
    expect(compile({ fps: undefined }).tasks.map((t) => t.name)).not.toContain('preview-video');
    expect(compile({ format: 'OPEN_EXR', image_file_extension: '.exr' }).tasks.map((t) => t.name)).not.toContain('preview-video');
    const withPreviews = compile({ format: 'OPEN_EXR', image_file_extension: '.exr', has_previews: true }).tasks.at(-1)!;
    expect(withPreviews.commands[0]!.settings.input_files).toBe(`${DIR}/*.jpg`);
  });

  it('refuses what it cannot render, naming the setting', () => {
    expect(refused({ format: 'FFMPEG' })).toMatch(/^settings.format: this job type renders images, not FFMPEG/);
    expect(refused({ render_output_path: undefined })).toMatch(/^settings.render_output_path: required/);
    expect(refused({ render_output_path: '######' })).toMatch(/^settings.render_output_path:/);
    expect(refused({ image_file_extension: 'png' })).toMatch(/^settings.image_file_extension/);
    expect(refused({ add_path_components: 33 })).toBe('settings.add_path_components: must be an integer from 0 to 32');
    expect(refused({ frames: '1-x' })).toMatch(/^settings.frames/);
  });

  it('puts two-way variables into paths before the timestamp is filled in', () => {
    const vars = new Variables({ render: { direction: 'two-way', values: [{ platform: 'windows', value: 'S:/render', audience: 'all' }] } });
    const j = validateJob(sceneJob({ render_output_path: 'S:\\render\\shot12\\{timestamp}\\######', blendfile: 'S:\\render\\jobs\\shot12.blend' }), NOW, vars);
    expect(j.settings.render_output_path).toBe('{render}/shot12/2026-11-27_120000/######');
    expect(j.tasks[0]!.commands[0]!.settings.filepath).toBe('{render}/jobs/shot12.blend');
  });
});

describe("the add-on's view of the job types", () => {
  it("publishes our filepath as the add-on's blendfile and maps it back on submission", () => {
    const br = addonJobTypeNamed('blender-render')!;
    expect(br.settings.map((s) => s.key)).toContain('blendfile');
    const { doc } = fromAddonSubmission({
      name: 'x',
      type: 'blender-render',
      priority: 50,
      submitter_platform: 'windows',
      worker_tag: 'gpu',
      initial_status: 'paused',
      settings: { blendfile: '/jobs/x.blend', frames: '1-3', render_output: '/r/x/######', format: '', blender_cmd: '{blender}' },
    });
    // An empty optional text field is what the add-on sends for "not filled in": the default applies.
    expect(doc).toEqual({
      name: 'x',
      job_type: 'blender-render',
      priority: 50,
      metadata: {},
      start_paused: true,
      submitter_platform: 'windows',
      tag: 'gpu',
      settings: { filepath: '/jobs/x.blend', frames: '1-3', render_output: '/r/x/######', blender_cmd: '{blender}' },
    });
    expect(validateJob(doc, NOW).tasks.length).toBeGreaterThan(0);
  });

  it('derives each etag from the published description', () => {
    const a = addonJobTypeNamed('simple-blender-render')!;
    expect(a.etag).toMatch(/^[0-9a-f]{64}$/);
    expect(addonJobTypeNamed('blender-render')!.etag).not.toBe(a.etag);
    expect(addonJobTypeNamed('sleep')).toBeUndefined();
  });
});
