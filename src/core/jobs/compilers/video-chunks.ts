// The `blender-video-chunks` job type: render a video as PNG frame chunks, encode each chunk to a
// short video, concatenate those, optionally add the scene's audio, and move the result into the
// output directory under a dated, counted name. Chunked encoding spreads the FFmpeg work over
// the farm instead of one long encode at the end.
import { blenderFrames, chunk, chunkName, parseFrames } from '../frames';
import { BLENDER_SETTINGS, checkVideoSettings } from './blender-render';
import { SCENE_EVAL } from './scene-evals';
import { blendStem, datePrefix, join, splitOutputPath } from './paths';
import type { CompiledTask, JobCompiler } from './types';

export const videoChunksCompiler: JobCompiler = {
  job_type: 'blender-video-chunks',
  description: 'Renders a video as PNG chunks, encodes each chunk with FFmpeg, joins them (optionally with audio) into one video file.',
  addon_label: 'Blender Video Chunks',
  settings: [
    BLENDER_SETTINGS.filepath,
    BLENDER_SETTINGS.frames,
    BLENDER_SETTINGS.chunk_size,
    { ...BLENDER_SETTINGS.render_output, description: 'output path; only its directory is used, e.g. "/render/shot12/video/######"' },
    { name: 'fps', type: 'number', required: true, description: 'frame rate of the video', addon: SCENE_EVAL.fps },
    // Matroska holds whatever FFmpeg encodes, and takes chunks joined without re-encoding.
    { name: 'output_file_extension', type: 'string', required: false, default: '.mkv', description: 'video file extension: .mkv, .mp4, …' },
    { name: 'extract_audio', type: 'boolean', required: false, default: false, description: 'mix down the scene audio and add it to the video' },
    BLENDER_SETTINGS.blender_cmd,
  ],
  compile(s, ctx) {
    const frames = parseFrames(s.frames, 'settings.frames');
    const out = splitOutputPath(s.render_output as string, 'settings.render_output');
    const { fps, ext } = checkVideoSettings(s, 'for a video');
    const sep = out.sep;
    // Chunks, audio and intermediate videos live in <output dir>/frames; move-out-of-way first
    // moves an earlier run's directory aside so stale chunks never end up in the video.
    const framesDir = join(out.dir, sep, 'frames');
    const flacFile = join(framesDir, sep, 'audio.flac');
    const audioFile = join(framesDir, sep, 'audio.aac');
    const videoFile = join(framesDir, sep, `video${ext}`);
    const muxedFile = join(framesDir, sep, `muxed${ext}`);
    const finalFile = join(out.dir, sep, `${datePrefix(ctx.now)}-${blendStem(s.filepath as string)}${ext}`);
    const ffmpeg_cmd = '{ffmpeg}';
    // concatenate_videos joins the chunk files in name order: pad all numbers to one width.
    const width = Math.max(5, String(frames[frames.length - 1]).length);
    const pad = (n: number) => String(n).padStart(width, '0');

    const tasks: CompiledTask[] = [
      {
        name: 'move-out-of-way',
        task_type: 'file-management',
        priority: 0,
        parents: [],
        commands: [{ name: 'move_out_of_way', settings: { src: framesDir } }],
      },
    ];
    const encodeNames: string[] = [];
    for (const c of chunk(frames, s.chunk_size as number)) {
      const range = chunkName(c);
      const chunkBase = `chunk-${pad(c[0]!)}-${pad(c[c.length - 1]!)}`;
      const chunkDir = join(framesDir, sep, chunkBase);
      tasks.push({
        name: `frame-chunk-${range}`,
        task_type: 'blender-render',
        priority: 0,
        parents: ['move-out-of-way'],
        commands: [
          {
            name: 'blender_render',
            settings: { blender_cmd: s.blender_cmd, filepath: s.filepath, format: 'PNG', render_output: join(chunkDir, sep, '######.png'), frames: blenderFrames(c) },
          },
        ],
      });
      tasks.push({
        name: `video-chunk-${range}`,
        task_type: 'video-encoding',
        priority: 0,
        parents: [`frame-chunk-${range}`],
        commands: [
          {
            name: 'create_video',
            settings: { ffmpeg_cmd, input_files: join(chunkDir, sep, '*.png'), output_file: join(framesDir, sep, `${chunkBase}${ext}`), fps },
          },
        ],
      });
      encodeNames.push(`video-chunk-${range}`);
    }
    tasks.push({
      name: 'concatenate-videos',
      task_type: 'video-encoding',
      priority: 0,
      parents: encodeNames,
      commands: [{ name: 'concatenate_videos', settings: { ffmpeg_cmd, input_files: join(framesDir, sep, `chunk-*${ext}`), output_file: videoFile } }],
    });

    let last = 'concatenate-videos';
    let result = videoFile;
    if (s.extract_audio === true) {
      tasks.push({
        name: 'render-audio',
        task_type: 'blender-render',
        priority: 0,
        parents: ['move-out-of-way'],
        commands: [
          {
            name: 'blender_render_audio',
            settings: { blender_cmd: s.blender_cmd, filepath: s.filepath, render_output: flacFile, frame_start: frames[0], frame_end: frames[frames.length - 1] },
          },
        ],
      });
      tasks.push({
        name: 'encode-audio',
        task_type: 'video-encoding',
        priority: 0,
        parents: ['render-audio'],
        commands: [{ name: 'encode_audio', settings: { ffmpeg_cmd, input_file: flacFile, output_file: audioFile, codec: 'aac', bitrate: '192k' } }],
      });
      tasks.push({
        name: 'mux-audio-video',
        task_type: 'video-encoding',
        priority: 0,
        parents: ['encode-audio', 'concatenate-videos'],
        commands: [{ name: 'mux_audio', settings: { ffmpeg_cmd, audio_file: audioFile, video_file: videoFile, output_file: muxedFile } }],
      });
      last = 'mux-audio-video';
      result = muxedFile;
    }
    // move_with_counter adds a counter to the name, so earlier videos of the same day survive.
    tasks.push({
      name: 'move-with-counter',
      task_type: 'file-management',
      priority: 0,
      parents: [last],
      commands: [{ name: 'move_with_counter', settings: { src: result, dest: finalFile } }],
    });
    return tasks;
  },
};
