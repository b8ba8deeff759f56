import { describe, expect, it } from 'vitest';
import { validateJob } from '../../../../src/core/jobs/jobs';
import { testManager } from '../../../helpers/env';

// 2026-11-27 12:00:00 UTC, the test clock's default time.
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const INTER = '/render/shot12/frames__intermediate-2026-11-27_120000';

function job(settings: Record<string, unknown>) {
  return {
    name: 'shot 12',
    job_type: 'blender-render',
    settings: { filepath: '/proj/shot12.blend', frames: '1-10', render_output: '/render/shot12/frames/######', ...settings },
  };
}

const compile = (settings: Record<string, unknown>) => validateJob(job(settings), NOW).tasks;
const names = (settings: Record<string, unknown>) => compile(settings).map((t) => t.name);

describe('blender-render: render tasks', () => {
  it('chunks 1-10 by 3 into four tasks with Blender frame ranges', () => {
    const tasks = compile({ chunk_size: 3 });
    expect(tasks.map((t) => t.name)).toEqual(['blender-render-1-3', 'blender-render-4-6', 'blender-render-7-9', 'blender-render-10', 'move-to-final']);
    const renders = tasks.slice(0, 4);
    expect(renders.map((t) => t.commands[0]!.settings.frames)).toEqual(['1..3', '4..6', '7..9', '10']);
    for (const t of renders) {
      expect(t.task_type).toBe('blender-render');
      expect(t.parents).toEqual([]);
      expect(t.commands).toHaveLength(1);
      expect(t.commands[0]!.name).toBe('blender_render');
    }
    expect(renders[0]!.commands[0]!.settings).toEqual({
      blender_cmd: '{blender}',
      filepath: '/proj/shot12.blend',
      render_output: `${INTER}/######`,
      frames: '1..3',
    });
  });

  it('names runs of two with a comma and keeps gaps apart: 1,3,5 chunk 2 and 4,5 chunk 2', () => {
    expect(names({ frames: '1,3,5', chunk_size: 2 })).toEqual(['blender-render-1,3', 'blender-render-5', 'move-to-final']);
    expect(compile({ frames: '1,3,5', chunk_size: 2 })[0]!.commands[0]!.settings.frames).toBe('1,3');
    expect(names({ frames: '4,5', chunk_size: 2 })).toEqual(['blender-render-4,5', 'move-to-final']);
    expect(compile({ frames: '4-5', chunk_size: 2 })[0]!.commands[0]!.settings.frames).toBe('4,5');
  });

  it('1,3,5 with the default chunk size: one task per frame', () => {
    expect(names({ frames: '1,3,5' })).toEqual(['blender-render-1', 'blender-render-3', 'blender-render-5', 'move-to-final']);
  });

  it('1-250 chunk 10 gives 25 render tasks', () => {
    const tasks = compile({ frames: '1-250', chunk_size: 10 });
    expect(tasks).toHaveLength(26);
    expect(tasks[0]!.name).toBe('blender-render-1-10');
    expect(tasks[24]!.name).toBe('blender-render-241-250');
    expect(tasks[24]!.commands[0]!.settings.frames).toBe('241..250');
    expect(tasks[25]!.parents).toHaveLength(25);
  });

  it('a single frame is one render task', () => {
    const tasks = compile({ frames: '7', chunk_size: 5 });
    expect(tasks.map((t) => t.name)).toEqual(['blender-render-7', 'move-to-final']);
    expect(tasks[0]!.commands[0]!.settings.frames).toBe('7');
  });

  it('passes format and a custom blender_cmd through', () => {
    const [t] = compile({ format: 'PNG', blender_cmd: '{blender} --factory-startup' });
    expect(t!.commands[0]!.settings).toMatchObject({ format: 'PNG', blender_cmd: '{blender} --factory-startup' });
  });

  it('keeps Windows separators when the output path uses them', () => {
    const tasks = compile({ render_output: 'C:\\render\\shot12\\frames\\######' });
    expect(tasks[0]!.commands[0]!.settings.render_output).toBe('C:\\render\\shot12\\frames__intermediate-2026-11-27_120000\\######');
    expect(tasks.at(-1)!.commands[0]!.settings).toEqual({ src: 'C:\\render\\shot12\\frames__intermediate-2026-11-27_120000', dest: 'C:\\render\\shot12\\frames' });
  });
});

describe('blender-render: create-video and move-to-final', () => {
  const video = { create_video: true, fps: 24, output_file_extension: '.png', format: 'PNG' };

  it('without create_video, move-to-final waits for all render tasks', () => {
    const tasks = compile({ chunk_size: 5 });
    const final = tasks.at(-1)!;
    expect(final).toEqual({
      name: 'move-to-final',
      task_type: 'file-management',
      priority: 0,
      parents: ['blender-render-1-5', 'blender-render-6-10'],
      commands: [{ name: 'move_to_final', settings: { src: INTER, dest: '/render/shot12/frames' } }],
    });
  });

  it('with create_video: create-video after all renders, move-to-final after create-video', () => {
    const tasks = compile({ ...video, chunk_size: 5 });
    expect(tasks.map((t) => t.name)).toEqual(['blender-render-1-5', 'blender-render-6-10', 'create-video', 'move-to-final']);
    const cv = tasks[2]!;
    expect(cv.task_type).toBe('video-encoding');
    expect(cv.parents).toEqual(['blender-render-1-5', 'blender-render-6-10']);
    expect(cv.commands).toEqual([
      {
        name: 'create_video',
        settings: { ffmpeg_cmd: '{ffmpeg}', input_files: `${INTER}/*.png`, output_file: `${INTER}/shot12-1-10.mkv`, fps: 24 },
      },
    ]);
    expect(tasks[3]!.parents).toEqual(['create-video']);
  });

  it('no video for EXR frames, by format or by extension', () => {
    expect(names({ ...video, format: 'OPEN_EXR' })).not.toContain('create-video');
    expect(names({ ...video, format: 'OPEN_EXR_MULTILAYER' })).not.toContain('create-video');
    const { format: _f, ...noFormat } = video;
    expect(names({ ...noFormat, output_file_extension: '.exr' })).not.toContain('create-video');
    expect(names({ ...video, format: 'JPEG', output_file_extension: '.jpg' })).toContain('create-video');
  });

  it('no video for a single frame; move-to-final then waits for the render task', () => {
    const tasks = compile({ ...video, frames: '3' });
    expect(tasks.map((t) => t.name)).toEqual(['blender-render-3', 'move-to-final']);
    expect(tasks[1]!.parents).toEqual(['blender-render-3']);
  });

  it('create_video false means no video', () => {
    expect(names({ ...video, create_video: false })).not.toContain('create-video');
  });

  it('create_video needs fps and output_file_extension', () => {
    expect(() => compile({ create_video: true, output_file_extension: '.png' })).toThrow(/settings\.fps: required/);
    expect(() => compile({ create_video: true, fps: 24 })).toThrow(/settings\.output_file_extension: required/);
    expect(() => compile({ ...video, fps: 0 })).toThrow(/settings\.fps: must be more than 0/);
    expect(() => compile({ ...video, output_file_extension: 'png' })).toThrow(/settings\.output_file_extension/);
  });
});

describe('blender-render: bad settings are named and nothing is stored', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['frames "1-x"', { frames: '1-x' }, /^settings\.frames: "1-x"/],
    ['frames ending before starting', { frames: '10-1' }, /^settings\.frames: "10-1"/],
    ['chunk_size 0', { chunk_size: 0 }, /^settings\.chunk_size: must be an integer ≥ 1/],
    ['chunk_size 1.5', { chunk_size: 1.5 }, /^settings\.chunk_size/],
    ['missing filepath', { filepath: undefined }, /^settings\.filepath: required/],
    ['missing render_output', { render_output: undefined }, /^settings\.render_output: required/],
    ['missing frames', { frames: undefined }, /^settings\.frames: required/],
    ['render_output without a directory', { render_output: '######' }, /^settings\.render_output: "######" must name a directory/],
    ['render_output in a root', { render_output: '/######' }, /^settings\.render_output/],
    ['create_video not a bool', { create_video: 'yes' }, /^settings\.create_video: must be true or false/],
    ['fps not a number', { fps: '24' }, /^settings\.fps/],
    ['unknown setting', { colour: 'red' }, /^settings\.colour: unknown setting/],
  ];
  for (const [what, settings, error] of cases) {
    it(what, () => {
      const { manager } = testManager();
      expect(() => manager.jobs.submit(job(settings))).toThrow(error);
      expect(manager.repos.jobs.listings()).toEqual([]);
    });
  }
});

describe('blender-render: submission', () => {
  it('stores the job and its tasks with parents', () => {
    const { manager } = testManager();
    const { id, tasks } = manager.jobs.submit(job({ chunk_size: 4, create_video: true, fps: 25, output_file_extension: '.png' }));
    expect(tasks).toBe(5);
    const stored = manager.repos.tasks.listForJob(id);
    expect(stored.map((t) => t.name).sort()).toEqual(['blender-render-1-4', 'blender-render-5-8', 'blender-render-9,10', 'create-video', 'move-to-final']);
    const byId = new Map(stored.map((t) => [t.id, t.name]));
    const cv = stored.find((t) => t.name === 'create-video')!;
    expect(
      manager.repos.taskParents
        .parents(cv.id)
        .map((p) => byId.get(p))
        .sort(),
    ).toEqual(['blender-render-1-4', 'blender-render-5-8', 'blender-render-9,10']);
    const final = stored.find((t) => t.name === 'move-to-final')!;
    expect(manager.repos.taskParents.parents(final.id).map((p) => byId.get(p))).toEqual(['create-video']);
    expect(manager.repos.jobs.get(id)!.settings).toMatchObject({ chunk_size: 4, blender_cmd: '{blender}' });
  });
});
