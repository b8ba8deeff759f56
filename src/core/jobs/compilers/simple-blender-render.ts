// `simple-blender-render`: the job type the Flamenco 3 Blender add-on offers by default, with the
// same setting keys, types and scene expressions, so the add-on shows its usual panel and fills
// it in from the scene. It compiles to Flamenco Worker 2.x commands: one `blender_render` per
// chunk, rendering straight into the `{timestamp}` folder of the output path, and an optional
// `create_video` preview once every chunk is done.
import { ValidationError } from '../../support/errors';
import { blenderFrames, chunk, chunkName, parseFrames } from '../frames';
import { VIDEO_FORMATS } from './blender-render';
import { blendStem, join, splitOutputPath, stamp } from './paths';
import { SCENE_EVAL } from './scene-evals';
import type { CompiledTask, JobCompiler } from './types';

/** Formats FFmpeg cannot read; a preview video is made from Blender's JPEG previews instead, if any. */
const EXR_FORMATS = new Set(['EXR', 'MULTILAYER', 'OPEN_EXR', 'OPEN_EXR_MULTILAYER']);

/**
 * Run by Blender before rendering: file extensions on, and frames that exist already are kept,
 * so a requeued chunk never overwrites finished frames and no placeholder files appear.
 */
const RENDER_SETTINGS_EXPR = 'import bpy; s = bpy.context.scene.render; s.use_file_extension = True; s.use_overwrite = False; s.use_placeholder = False';

export const simpleBlenderRenderCompiler: JobCompiler = {
  job_type: 'simple-blender-render',
  addon_label: 'Simple Blender Render',
  description: 'Renders frames with Blender in chunks into a folder named after the submission time, then makes a preview video.',
  settings: [
    {
      name: 'frames',
      type: 'frames',
      required: true,
      description: 'frames to render, e.g. "1-250", "1..250" or "1, 4-10, 20"',
      addon: SCENE_EVAL.frames,
    },
    { name: 'chunk_size', type: 'integer', required: false, default: 1, description: 'frames per render task', addon: { visible: 'submission' } },
    {
      name: 'render_output_root',
      type: 'string',
      required: true,
      path: true,
      description: 'the folder below which the output of this job goes',
      addon: { subtype: 'dir_path', visible: 'submission' },
    },
    {
      name: 'add_path_components',
      type: 'integer',
      required: true,
      default: 0,
      min: 0,
      max: 32,
      description: "how many folder names of the .blend file's path to repeat below render_output_root",
      addon: { visible: 'submission' },
    },
    {
      name: 'render_output_path',
      type: 'string',
      required: false,
      path: true,
      description: 'where the frames go; {timestamp} becomes the time the job was submitted',
      addon: {
        subtype: 'file_path',
        editable: false,
        eval: "str(Path(abspath(settings.render_output_root), last_n_dir_parts(settings.add_path_components), jobname, '{timestamp}', '######'))",
      },
    },
    { name: 'blendfile', type: 'string', required: true, path: true, description: 'the .blend file to render (the add-on sets its packed copy)', addon: { visible: 'web' } },
    { name: 'fps', type: 'number', required: false, description: 'frame rate of the preview video; without it there is none', addon: { ...SCENE_EVAL.fps, visible: 'hidden' } },
    {
      name: 'format',
      type: 'string',
      required: true,
      identifier: true,
      description: "Blender's image format: PNG, JPEG, OPEN_EXR, …",
      addon: { ...SCENE_EVAL.format, visible: 'web' },
    },
    {
      name: 'image_file_extension',
      type: 'string',
      required: true,
      description: 'extension of the rendered frames, e.g. ".png"',
      addon: { ...SCENE_EVAL.fileExtension, visible: 'hidden' },
    },
    {
      name: 'has_previews',
      type: 'boolean',
      required: false,
      description: 'whether Blender also writes JPEG previews (for a video of EXR frames)',
      addon: { eval: 'C.scene.render.image_settings.use_preview', visible: 'hidden' },
    },
    {
      name: 'scene',
      type: 'string',
      required: true,
      description: 'the scene to render (workers render the scene saved as active; see docs/blender.md)',
      addon: { eval: 'C.scene.name', visible: 'web' },
    },
  ],

  resolveSettings(s, ctx) {
    const path = s.render_output_path;
    if (path === undefined) throw new ValidationError('settings.render_output_path: required (the add-on fills it in from render_output_root)');
    return { ...s, render_output_path: (path as string).replaceAll('{timestamp}', stamp(ctx.now)) };
  },

  compile(s) {
    const format = s.format as string;
    if (VIDEO_FORMATS.has(format.toUpperCase())) {
      throw new ValidationError(`settings.format: this job type renders images, not ${format} video; choose an image format in Blender's output properties`);
    }
    const ext = s.image_file_extension as string;
    if (!/^\.[A-Za-z0-9]+$/.test(ext)) throw new ValidationError(`settings.image_file_extension: "${ext}" must be a dot and letters or digits, e.g. ".png"`);
    const frames = parseFrames(s.frames, 'settings.frames');
    const output = s.render_output_path as string;
    const out = splitOutputPath(output, 'settings.render_output_path');
    const blendfile = s.blendfile as string;

    const renders: CompiledTask[] = chunk(frames, s.chunk_size as number).map((c) => ({
      name: `render-${chunkName(c)}`,
      task_type: 'blender-render',
      priority: 0,
      parents: [],
      commands: [
        {
          name: 'blender_render',
          settings: { blender_cmd: '{blender}', filepath: blendfile, python_expr: RENDER_SETTINGS_EXPR, render_output: output, format, frames: blenderFrames(c) },
        },
      ],
    }));

    const exr = EXR_FORMATS.has(format.toUpperCase());
    const fps = s.fps as number | undefined;
    if (!fps || (exr && s.has_previews !== true)) return renders;
    const range = frames.length === 1 ? `${frames[0]}` : `${frames[0]}-${frames[frames.length - 1]}`;
    const video: CompiledTask = {
      name: 'preview-video',
      task_type: 'video-encoding',
      priority: 0,
      parents: renders.map((t) => t.name),
      commands: [
        {
          name: 'create_video',
          settings: {
            ffmpeg_cmd: '{ffmpeg}',
            input_files: join(out.dir, out.sep, `*${exr ? '.jpg' : ext}`),
            output_file: join(out.dir, out.sep, `${blendStem(blendfile)}-${range}.mp4`),
            fps,
          },
        },
      ],
    };
    return [...renders, video];
  },
};
