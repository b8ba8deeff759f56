import { describe, expect, it } from 'vitest';
import type { CompiledTask } from '../../../../src/core/jobs/compilers/types';
import { validateJob } from '../../../../src/core/jobs/jobs';
import { testManager } from '../../../helpers/env';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const FRAMES_DIR = '/render/shot12/video/frames';

function job(settings: Record<string, unknown>) {
  return {
    name: 'shot 12 video',
    job_type: 'blender-video-chunks',
    settings: {
      filepath: '/proj/shot12.flamenco.blend',
      frames: '1-10',
      chunk_size: 5,
      render_output: '/render/shot12/video/######',
      fps: 24,
      output_file_extension: '.mkv',
      ...settings,
    },
  };
}

const compile = (settings: Record<string, unknown> = {}) => validateJob(job(settings), NOW).tasks;
const byName = (tasks: CompiledTask[]) => new Map(tasks.map((t) => [t.name, t]));

describe('blender-video-chunks', () => {
  it('lays out move-out-of-way, frame and video chunks, concatenation and the final move', () => {
    const tasks = compile();
    expect(tasks.map((t) => [t.name, t.task_type, t.parents])).toEqual([
      ['move-out-of-way', 'file-management', []],
      ['frame-chunk-1-5', 'blender-render', ['move-out-of-way']],
      ['video-chunk-1-5', 'video-encoding', ['frame-chunk-1-5']],
      ['frame-chunk-6-10', 'blender-render', ['move-out-of-way']],
      ['video-chunk-6-10', 'video-encoding', ['frame-chunk-6-10']],
      ['concatenate-videos', 'video-encoding', ['video-chunk-1-5', 'video-chunk-6-10']],
      ['move-with-counter', 'file-management', ['concatenate-videos']],
    ]);
  });

  it('gives every command the settings the worker reads', () => {
    const t = byName(compile());
    expect(t.get('move-out-of-way')!.commands).toEqual([{ name: 'move_out_of_way', settings: { src: FRAMES_DIR } }]);
    expect(t.get('frame-chunk-6-10')!.commands).toEqual([
      {
        name: 'blender_render',
        settings: {
          blender_cmd: '{blender}',
          filepath: '/proj/shot12.flamenco.blend',
          format: 'PNG',
          render_output: `${FRAMES_DIR}/chunk-00006-00010/######.png`,
          frames: '6..10',
        },
      },
    ]);
    expect(t.get('video-chunk-6-10')!.commands).toEqual([
      {
        name: 'create_video',
        settings: { ffmpeg_cmd: '{ffmpeg}', input_files: `${FRAMES_DIR}/chunk-00006-00010/*.png`, output_file: `${FRAMES_DIR}/chunk-00006-00010.mkv`, fps: 24 },
      },
    ]);
    expect(t.get('concatenate-videos')!.commands).toEqual([
      {
        name: 'concatenate_videos',
        settings: { ffmpeg_cmd: '{ffmpeg}', input_files: `${FRAMES_DIR}/chunk-*.mkv`, output_file: `${FRAMES_DIR}/video.mkv` },
      },
    ]);
    // Without audio the concatenated video itself is moved; the name drops ".flamenco".
    expect(t.get('move-with-counter')!.commands).toEqual([
      {
        name: 'move_with_counter',
        settings: { src: `${FRAMES_DIR}/video.mkv`, dest: '/render/shot12/video/2026_11_27-shot12.mkv' },
      },
    ]);
  });

  it('with extract_audio: render, encode and mux the audio before the final move', () => {
    const tasks = compile({ extract_audio: true, frames: '11-30', chunk_size: 10, output_file_extension: '.mp4' });
    const t = byName(tasks);
    expect(t.get('render-audio')).toMatchObject({ task_type: 'blender-render', parents: ['move-out-of-way'] });
    expect(t.get('render-audio')!.commands).toEqual([
      {
        name: 'blender_render_audio',
        settings: { blender_cmd: '{blender}', filepath: '/proj/shot12.flamenco.blend', render_output: `${FRAMES_DIR}/audio.flac`, frame_start: 11, frame_end: 30 },
      },
    ]);
    expect(t.get('encode-audio')).toMatchObject({ task_type: 'video-encoding', parents: ['render-audio'] });
    expect(t.get('encode-audio')!.commands[0]).toEqual({
      name: 'encode_audio',
      settings: { ffmpeg_cmd: '{ffmpeg}', input_file: `${FRAMES_DIR}/audio.flac`, output_file: `${FRAMES_DIR}/audio.aac`, codec: 'aac', bitrate: '192k' },
    });
    expect(t.get('mux-audio-video')).toMatchObject({ task_type: 'video-encoding', parents: ['encode-audio', 'concatenate-videos'] });
    expect(t.get('mux-audio-video')!.commands[0]).toEqual({
      name: 'mux_audio',
      settings: { ffmpeg_cmd: '{ffmpeg}', audio_file: `${FRAMES_DIR}/audio.aac`, video_file: `${FRAMES_DIR}/video.mp4`, output_file: `${FRAMES_DIR}/muxed.mp4` },
    });
    expect(t.get('move-with-counter')!.parents).toEqual(['mux-audio-video']);
    expect(t.get('move-with-counter')!.commands[0]!.settings).toEqual({ src: `${FRAMES_DIR}/muxed.mp4`, dest: '/render/shot12/video/2026_11_27-shot12.mp4' });
  });

  it('single frame and gaps: chunk names follow the frame-range rules', () => {
    expect(compile({ frames: '7' }).map((t) => t.name)).toContain('frame-chunk-7');
    const names = compile({ frames: '1,3,5', chunk_size: 2 }).map((t) => t.name);
    expect(names).toEqual(['move-out-of-way', 'frame-chunk-1,3', 'video-chunk-1,3', 'frame-chunk-5', 'video-chunk-5', 'concatenate-videos', 'move-with-counter']);
  });

  it('makes a Matroska video when no output_file_extension is given', () => {
    const t = byName(compile({ output_file_extension: undefined }));
    expect(t.get('video-chunk-1-5')!.commands[0]!.settings.output_file).toBe(`${FRAMES_DIR}/chunk-00001-00005.mkv`);
    expect(t.get('move-with-counter')!.commands[0]!.settings.dest).toMatch(/\/render\/shot12\/video\/2026_11_27-shot12\.mkv$/);
  });

  it('pads chunk file names to the widest frame number so they sort in order', () => {
    const t = byName(compile({ frames: '99999-100000', chunk_size: 1 }));
    expect(t.get('video-chunk-100000')!.commands[0]!.settings.output_file).toBe(`${FRAMES_DIR}/chunk-100000-100000.mkv`);
    expect(t.get('video-chunk-99999')!.commands[0]!.settings.output_file).toBe(`${FRAMES_DIR}/chunk-099999-099999.mkv`);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['missing fps', { fps: undefined }, /^settings\.fps: required/],
    ['fps 0', { fps: 0 }, /^settings\.fps: must be more than 0/],
    ['extension without a dot', { output_file_extension: 'mkv' }, /^settings\.output_file_extension/],
    ['frames "1-x"', { frames: '1-x' }, /^settings\.frames: "1-x"/],
    ['chunk_size 0', { chunk_size: 0 }, /^settings\.chunk_size/],
    ['format is not a setting of this type', { format: 'PNG' }, /^settings\.format: unknown setting/],
  ];
  for (const [what, settings, error] of bad) {
    it(`refuses ${what}`, () => {
      const { manager } = testManager();
      expect(() => manager.jobs.submit(job(settings))).toThrow(error);
      expect(manager.repos.jobs.listings()).toEqual([]);
    });
  }
});
