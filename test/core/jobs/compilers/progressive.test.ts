import { describe, expect, it } from 'vitest';
import { findCycle } from '../../../../src/core/jobs/compilers/custom';
import { frameChunkSize, sampleChunks } from '../../../../src/core/jobs/compilers/progressive';
import { chunkExpr, mergeExpr } from '../../../../src/core/jobs/compilers/progressive-python';
import type { CompiledTask } from '../../../../src/core/jobs/compilers/types';
import { validateJob } from '../../../../src/core/jobs/jobs';
import { testManager } from '../../../helpers/env';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const INTER = '/render/shot12/frames__intermediate-2026-11-27_120000';

function job(settings: Record<string, unknown>) {
  return {
    name: 'shot 12 progressive',
    job_type: 'blender-render-progressive',
    settings: {
      filepath: '/proj/shot12.blend',
      frames: '1-4',
      render_output: '/render/shot12/frames/######',
      cycles_sample_count: 100,
      cycles_sample_cap: 100,
      fps: 24,
      ...settings,
    },
  };
}

const compile = (settings: Record<string, unknown> = {}) => validateJob(job(settings), NOW).tasks;
const byName = (tasks: CompiledTask[]) => new Map(tasks.map((t) => [t.name, t]));

/** Unique names, parents that exist, no cycles: what submission relies on for compiled jobs. */
function expectWellFormed(tasks: CompiledTask[]) {
  const names = new Set(tasks.map((t) => t.name));
  expect(names.size).toBe(tasks.length);
  for (const t of tasks) for (const p of t.parents) expect(names.has(p), `${t.name} → ${p}`).toBe(true);
  expect(findCycle(tasks)).toBeUndefined();
}

describe('sample chunks', () => {
  it('grows along a curve, then splits the rest evenly under the cap', () => {
    expect(sampleChunks(100, 100)).toEqual([
      [1, 2],
      [3, 18],
      [19, 52],
      [53, 100],
    ]);
    expect(sampleChunks(400, 100)).toEqual([
      [1, 10],
      [11, 72],
      [73, 154],
      [155, 236],
      [237, 318],
      [319, 400],
    ]);
  });

  it('covers every sample exactly once, without a sliver chunk at the end', () => {
    for (const [count, cap] of [
      [1000, 30],
      [2000, 100],
      [50, 10],
      [7, 3],
      [2, 1],
    ] as const) {
      const chunks = sampleChunks(count, cap);
      expect(chunks[0]![0]).toBe(1);
      expect(chunks.at(-1)![1]).toBe(count);
      chunks.forEach(([a, b], i) => {
        expect(b - a + 1).toBeGreaterThan(0);
        expect(b - a + 1).toBeLessThanOrEqual(cap);
        if (i > 0) expect(a).toBe(chunks[i - 1]![1] + 1);
      });
    }
    expect(sampleChunks(1000, 30).at(-1)).toEqual([971, 1000]);
  });

  it('frame chunk size: more frames per task for fewer samples, shrunk by one to fill the last task', () => {
    expect(frameChunkSize(100, 4, 2)).toBe(50);
    expect(frameChunkSize(100, 4, 48)).toBe(2);
    expect(frameChunkSize(100, 250, 1)).toBe(99); // 250 % 100 = 50 frames in the last task; 250 % 99 = 52
    expect(frameChunkSize(100, 200, 1)).toBe(100); // divides evenly: keep
  });
});

describe('blender-render-progressive', () => {
  it('lays out renders per sample chunk, merges, previews and publishing', () => {
    const tasks = compile();
    expectWellFormed(tasks);
    expect(tasks.map((t) => [t.name, t.task_type, t.priority])).toEqual([
      ['destroy-preexisting-intermediate', 'file-management', 0],
      ['render-s_1-2-f_1-4', 'blender-render', 0],
      ['create-preview-images-s_2', 'blender-render', 1],
      ['create-preview-video-s_2', 'video-encoding', 1],
      ['render-s_3-18-f_1-4', 'blender-render', -10],
      ['merge-to-s_18-f_1-4', 'exr-merge', 1],
      ['create-preview-images-s_18', 'blender-render', 1],
      ['create-preview-video-s_18', 'video-encoding', 1],
      ['render-s_19-52-f_1,2', 'blender-render', -20],
      ['render-s_19-52-f_3,4', 'blender-render', -20],
      ['merge-to-s_52-f_1-4', 'exr-merge', 1],
      ['create-preview-images-s_52', 'blender-render', 1],
      ['create-preview-video-s_52', 'video-encoding', 1],
      ['render-s_53-100-f_1,2', 'blender-render', -30],
      ['render-s_53-100-f_3,4', 'blender-render', -30],
      ['merge-to-s_100-f_1-4', 'exr-merge', 1],
      ['create-preview-images-s_100', 'blender-render', 1],
      ['create-preview-video-s_100', 'video-encoding', 1],
      ['move-outdir-out-of-way', 'file-management', 1],
      ['publish-exr-to-output', 'file-management', 1],
      ['publish-jpeg-to-output', 'file-management', 1],
      ['publish-video-to-output', 'file-management', 1],
    ]);
  });

  it('chains parents: renders after the cleanup, merges after both inputs, publishing last', () => {
    const t = byName(compile());
    expect(t.get('render-s_19-52-f_3,4')!.parents).toEqual(['destroy-preexisting-intermediate']);
    expect(t.get('create-preview-images-s_2')!.parents).toEqual(['render-s_1-2-f_1-4']);
    expect(t.get('create-preview-video-s_2')!.parents).toEqual(['create-preview-images-s_2']);
    expect(t.get('merge-to-s_18-f_1-4')!.parents).toEqual(['render-s_1-2-f_1-4', 'render-s_3-18-f_1-4']);
    expect(t.get('merge-to-s_52-f_1-4')!.parents).toEqual(['merge-to-s_18-f_1-4', 'render-s_19-52-f_1,2', 'render-s_19-52-f_3,4']);
    expect(t.get('create-preview-images-s_52')!.parents).toEqual(['create-preview-images-s_18', 'merge-to-s_52-f_1-4']);
    expect(t.get('create-preview-video-s_52')!.parents).toEqual(['create-preview-video-s_18', 'create-preview-images-s_52']);
    expect(t.get('move-outdir-out-of-way')!.parents).toEqual(['merge-to-s_100-f_1-4']);
    expect(t.get('publish-exr-to-output')!.parents).toEqual(['move-outdir-out-of-way']);
    expect(t.get('publish-jpeg-to-output')!.parents).toEqual(['create-preview-images-s_100', 'move-outdir-out-of-way']);
    expect(t.get('publish-video-to-output')!.parents).toEqual(['create-preview-video-s_100', 'move-outdir-out-of-way']);
  });

  it('gives every command the settings the worker reads', () => {
    const t = byName(compile());
    expect(t.get('destroy-preexisting-intermediate')!.commands).toEqual([{ name: 'remove_tree', settings: { path: INTER } }]);
    expect(t.get('render-s_19-52-f_1,2')!.commands).toEqual([
      {
        name: 'blender_render',
        settings: {
          blender_cmd: '{blender}',
          filepath: '/proj/shot12.blend',
          format: 'OPEN_EXR',
          render_output: `${INTER}/render-smpl-0019-0052-######`,
          frames: '1,2',
          python_expr: chunkExpr(34, 19),
        },
      },
    ]);
    expect(t.get('merge-to-s_18-f_1-4')!.commands).toEqual([
      {
        name: 'blender_render',
        settings: {
          blender_cmd: '{blender}',
          filepath: '/proj/shot12.blend',
          python_expr: mergeExpr(
            {
              input1: `${INTER}/render-smpl-0001-0002-`,
              input2: `${INTER}/render-smpl-0003-0018-`,
              output: `${INTER}/merge-smpl-0018-`,
              weight1: 2,
              weight2: 16,
              frameStart: 1,
              frameEnd: 4,
            },
            'settings.render_output',
          ),
        },
      },
    ]);
    const merge52 = t.get('merge-to-s_52-f_1-4')!.commands[0]!.settings.python_expr as string;
    expect(merge52).toContain(`load(r'${INTER}/merge-smpl-0018-' + '%06d.exr' % frame)`);
    expect(merge52).toContain(`load(r'${INTER}/render-smpl-0019-0052-' + '%06d.exr' % frame)`);
    expect(merge52).toContain('(x * 18 + y * 34) / 52');
    expect(t.get('create-preview-images-s_2')!.commands).toEqual([
      {
        name: 'exr_sequence_to_jpeg',
        settings: { blender_cmd: '{blender}', filepath: '/proj/shot12.blend', exr_glob: `${INTER}/render-smpl-0001-0002-*.exr`, output_pattern: 'preview-######' },
      },
    ]);
    expect(t.get('create-preview-images-s_52')!.commands[0]!.settings.exr_glob).toBe(`${INTER}/merge-smpl-0052-*.exr`);
    expect(t.get('create-preview-video-s_2')!.commands).toEqual([
      {
        name: 'create_video',
        settings: { ffmpeg_cmd: '{ffmpeg}', input_files: `${INTER}/preview-*.jpg`, output_file: `${INTER}/preview.mkv`, fps: 24 },
      },
    ]);
    expect(t.get('move-outdir-out-of-way')!.commands).toEqual([{ name: 'move_out_of_way', settings: { src: '/render/shot12/frames' } }]);
    const exr = t.get('publish-exr-to-output')!.commands;
    expect(exr).toHaveLength(4);
    expect(exr[0]).toEqual({ name: 'copy_file', settings: { src: `${INTER}/merge-smpl-0100-000001.exr`, dest: '/render/shot12/frames/000001.exr' } });
    expect(t.get('publish-jpeg-to-output')!.commands[3]).toEqual({ name: 'copy_file', settings: { src: `${INTER}/preview-000004.jpg`, dest: '/render/shot12/frames/000004.jpg' } });
    expect(t.get('publish-video-to-output')!.commands).toEqual([{ name: 'copy_file', settings: { src: `${INTER}/preview.mkv`, dest: '/render/shot12/frames/preview.mkv' } }]);
  });

  it('stays well formed for long ranges, single frames and larger chunks', () => {
    for (const settings of [{ frames: '1-250', chunk_size: 10, cycles_sample_count: 2000 }, { frames: '7' }, { frames: '10-40', chunk_size: 3, cycles_sample_cap: 25 }]) {
      const tasks = compile(settings);
      expectWellFormed(tasks);
      expect(tasks.at(-1)!.name).toBe('publish-video-to-output');
    }
    expect(compile({ frames: '7' }).map((t) => t.name)).toContain('merge-to-s_100-f_7-7');
  });

  it('renders each sample chunk with its own share of samples and its own seed, through Python Blender runs before -f', () => {
    const renders = compile().filter((t) => t.name.startsWith('render-'));
    const chunks = new Map(renders.map((t) => [t.commands[0]!.settings.python_expr as string, t.name]));
    expect(chunks.size).toBe(4); // one expression per sample chunk, shared by its frame chunks
    const expr = chunkExpr(34, 19);
    expect(expr).toContain('scene.cycles.samples = 34\n');
    expect(expr).toContain('scene.cycles.seed = 19\n');
    expect(expr).toContain("if scene.render.engine != 'CYCLES':");
    // Any error ends Blender with a status the worker reports as a failure (a --python-expr error alone does not).
    expect(expr).toMatch(/except BaseException:\n(.*\n)*\s{4}os\._exit\(47\)$/);
    for (const t of renders) expect(t.commands[0]!.name).toBe('blender_render');
  });

  it('writes Python without braces, so hand-out replaces only the {variables} of the paths', () => {
    const { manager } = testManager({ config: { variables: { render: { values: [{ platform: 'windows', value: 'S:\\render', audience: 'all' }] } } } as never });
    const tasks = validateJob(job({ render_output: '{render}/shot12/frames/######' }), NOW).tasks;
    let merges = 0;
    for (const t of tasks) {
      const expr = t.commands[0]!.settings.python_expr;
      if (typeof expr !== 'string') continue;
      expect(expr.replace(/\{render\}/g, '')).not.toMatch(/[{}]/);
      if (!t.name.startsWith('merge-')) continue;
      merges++;
      const handed = manager.variables.expandCommands(t.commands, 'windows')[0]!.settings.python_expr as string;
      expect(handed).toContain("load(r'S:\\render/shot12/frames__intermediate-");
      expect(handed).toContain("a.filepath_raw = r'S:\\render/shot12/frames__intermediate-");
    }
    expect(merges).toBe(3);
  });

  it('refuses an output path that cannot be written in the Python of the merge', () => {
    expect(() => compile({ render_output: "/render/it's/frames/######" })).toThrow(/^settings\.render_output: .* may not hold a quote/);
  });

  it('accepts EXR in any case and hands it to Blender upper-case', () => {
    const t = byName(compile({ format: 'open_exr' }));
    expect(t.get('render-s_1-2-f_1-4')!.commands[0]!.settings.format).toBe('OPEN_EXR');
  });

  it('submits and stores all tasks', () => {
    const { manager } = testManager();
    const { id, tasks } = manager.jobs.submit(job({}));
    expect(tasks).toBe(22);
    expect(manager.repos.tasks.listForJob(id)).toHaveLength(22);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['a PNG format', { format: 'PNG' }, /^settings\.format: must be "OPEN_EXR"/],
    ['five #', { render_output: '/render/shot12/frames/#####' }, /^settings\.render_output: must end in exactly six "#"/],
    ['seven #', { render_output: '/render/shot12/frames/#######' }, /^settings\.render_output: must end in exactly six "#"/],
    ['frames with a gap', { frames: '1-5,8' }, /^settings\.frames: "1-5,8" must be one contiguous range/],
    ['frames "1-x"', { frames: '1-x' }, /^settings\.frames: "1-x"/],
    ['one sample chunk only', { cycles_sample_count: 1 }, /^settings\.cycles_sample_count: .*use a blender-render job/],
    ['missing cycles_sample_count', { cycles_sample_count: undefined }, /^settings\.cycles_sample_count: required/],
    ['cycles_sample_cap 0', { cycles_sample_cap: 0 }, /^settings\.cycles_sample_cap: must be an integer ≥ 1/],
    ['missing fps', { fps: undefined }, /^settings\.fps: required/],
    ['fps 0', { fps: 0 }, /^settings\.fps: must be more than 0/],
    ['the obsolete cycles_num_chunks', { cycles_num_chunks: 10 }, /^settings\.cycles_num_chunks: unknown setting/],
  ];
  for (const [what, settings, error] of bad) {
    it(`refuses ${what}`, () => {
      const { manager } = testManager();
      expect(() => manager.jobs.submit(job(settings))).toThrow(error);
      expect(manager.repos.jobs.listings()).toEqual([]);
    });
  }
});
