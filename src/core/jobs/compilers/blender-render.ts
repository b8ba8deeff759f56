// The `blender-render` job type: render frames in chunks into an intermediate directory,
// optionally encode a preview video, then move the frames to the output directory. Rendering
// next to the output and moving at the end means an earlier render stays intact until the new
// one is complete.
import { ValidationError } from '../../support/errors';
import { blenderFrames, chunk, chunkName, parseFrames } from '../frames';
import { blendStem, intermediateDir, join, splitOutputPath } from './paths';
import { SCENE_EVAL } from './scene-evals';
import type { CompiledTask, JobCompiler, SettingSpec } from './types';

/** Blender file formats that are video containers, not image sequences. */
export const VIDEO_FORMATS = new Set(['FFMPEG', 'AVI_JPEG', 'AVI_RAW']);

/**
 * Whether the rendered frames are images FFmpeg can turn into a preview video. EXR is left out:
 * its linear HDR data makes a wrong-looking video. Without a `format` the extension decides.
 */
export function isVideoableImage(format: unknown, extension: unknown): boolean {
  const f = typeof format === 'string' ? format.toUpperCase() : '';
  if (VIDEO_FORMATS.has(f) || f.includes('EXR') || f === 'MULTILAYER') return false;
  return !(typeof extension === 'string' && extension.toLowerCase() === '.exr');
}

/** Settings shared by the Blender job types. */
export const BLENDER_SETTINGS = {
  // The add-on writes the path of the .blend it packed into a setting it calls `blendfile`.
  filepath: { name: 'filepath', type: 'string', required: true, path: true, description: 'the .blend file to render', addon: { key: 'blendfile', visible: 'web' } },
  frames: { name: 'frames', type: 'frames', required: true, description: 'frame range, e.g. "1-250" or "1-10,20"', addon: SCENE_EVAL.frames },
  chunk_size: { name: 'chunk_size', type: 'integer', required: false, default: 1, description: 'frames per render task', addon: { visible: 'submission' } },
  blender_cmd: {
    name: 'blender_cmd',
    type: 'string',
    required: false,
    default: '{blender}',
    admin_only: true,
    description: 'the Blender command line (admin token only); {blender} is set per worker platform',
  },
  render_output: {
    name: 'render_output',
    type: 'string',
    required: true,
    path: true,
    description: 'output path pattern, e.g. "/render/shot12/frames/######"',
    addon: SCENE_EVAL.renderOutput,
  },
} satisfies Record<string, SettingSpec>;

/** A positive fps and an extension starting with a dot; both are needed to encode video. */
export function checkVideoSettings(s: Record<string, unknown>, why: string): { fps: number; ext: string } {
  if (s.fps === undefined) throw new ValidationError(`settings.fps: required ${why}`);
  if ((s.fps as number) <= 0) throw new ValidationError('settings.fps: must be more than 0');
  const ext = s.output_file_extension;
  if (ext === undefined) throw new ValidationError(`settings.output_file_extension: required ${why}`);
  if (!/^\.[A-Za-z0-9]+$/.test(ext as string)) throw new ValidationError(`settings.output_file_extension: "${ext as string}" must be a dot and letters or digits, e.g. ".png"`);
  return { fps: s.fps as number, ext: ext as string };
}

export const blenderRenderCompiler: JobCompiler = {
  job_type: 'blender-render',
  addon_label: 'Blender Render (move to final)',
  description: 'Renders frames with Blender in chunks, optionally makes a preview video, then moves the frames to the output directory.',
  settings: [
    BLENDER_SETTINGS.filepath,
    BLENDER_SETTINGS.frames,
    BLENDER_SETTINGS.chunk_size,
    BLENDER_SETTINGS.render_output,
    {
      name: 'format',
      type: 'string',
      required: false,
      identifier: true,
      description: 'Blender file format: PNG, JPEG, OPEN_EXR, …; default: the one in the .blend',
      addon: SCENE_EVAL.format,
    },
    { name: 'fps', type: 'number', required: false, description: 'frame rate of the video (needed with create_video)', addon: SCENE_EVAL.fps },
    {
      name: 'output_file_extension',
      type: 'string',
      required: false,
      description: 'extension of the rendered frames, e.g. ".png" (needed with create_video)',
      addon: SCENE_EVAL.fileExtension,
    },
    BLENDER_SETTINGS.blender_cmd,
    { name: 'create_video', type: 'boolean', required: false, default: false, description: 'also encode the frames into a video (images other than EXR, 2 frames or more)' },
  ],
  compile(s, ctx) {
    const frames = parseFrames(s.frames, 'settings.frames');
    const out = splitOutputPath(s.render_output as string, 'settings.render_output');
    const video = s.create_video === true ? checkVideoSettings(s, 'when create_video is true') : undefined;
    const interDir = intermediateDir(out.dir, ctx.now);

    const renders: CompiledTask[] = chunk(frames, s.chunk_size as number).map((c) => {
      const settings: Record<string, unknown> = {
        blender_cmd: s.blender_cmd,
        filepath: s.filepath,
        render_output: join(interDir, out.sep, out.name),
        frames: blenderFrames(c),
      };
      // Without a format Blender uses the one saved in the file; the worker skips a missing one.
      if (s.format !== undefined) settings.format = s.format;
      return { name: `blender-render-${chunkName(c)}`, task_type: 'blender-render', priority: 0, parents: [], commands: [{ name: 'blender_render', settings }] };
    });
    const renderNames = renders.map((t) => t.name);
    const tasks = [...renders];

    let finalParents = renderNames;
    if (video && frames.length >= 2 && isVideoableImage(s.format, video.ext)) {
      tasks.push({
        name: 'create-video',
        task_type: 'video-encoding',
        priority: 0,
        parents: renderNames,
        commands: [
          {
            name: 'create_video',
            settings: {
              ffmpeg_cmd: '{ffmpeg}',
              input_files: join(interDir, out.sep, `*${video.ext}`),
              output_file: join(interDir, out.sep, `${blendStem(s.filepath as string)}-${chunkName(frames)}.mkv`),
              fps: video.fps,
            },
          },
        ],
      });
      finalParents = ['create-video'];
    }
    tasks.push({
      name: 'move-to-final',
      task_type: 'file-management',
      priority: 0,
      parents: finalParents,
      commands: [{ name: 'move_to_final', settings: { src: interDir, dest: out.dir } }],
    });
    return tasks;
  },
};
