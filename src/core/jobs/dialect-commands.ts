// The commands of Flamenco Worker 2.5 (what the compilers write) in the Flamenco 3 Worker's
// dialect, one entry per command. Each translation gives the Flamenco 3 Worker the same process
// (same program, same arguments in the same order) or the same file operation; the differences
// that remain are listed in docs/task-translation.md. dialects.ts is the interface.
import type { Command } from '../../db/tasks-repo';
import { parseFrames } from './frames';
import { ShlexError, shlexSplit } from '../support/shlex';

/** A command as the Flamenco 3 Worker receives it (the `Command` schema of its API). */
export interface V3Command {
  name: string;
  parameters: Record<string, unknown>;
  /**
   * Steps the command reports itself (a Blender frame each); 0: the worker reports one step when
   * the command ends.
   */
  total_step_count: number;
}

/** Why a setting cannot be translated; caught per command and turned into a reason. */
class Untranslatable extends Error {}

type Settings = Record<string, unknown>;

/** A setting the 2.5 worker requires to be a string. */
function str(s: Settings, key: string): string {
  const v = s[key];
  if (v === undefined) throw new Untranslatable(`"${key}" is missing`);
  if (typeof v !== 'string') throw new Untranslatable(`"${key}" must be a string`);
  return v;
}

/** An optional setting the 2.5 worker uses only when it is truthy (Python), and then as a string. */
function optStr(s: Settings, key: string): string | undefined {
  const v = s[key];
  if (v === undefined || v === null || v === '' || v === false || v === 0) return undefined;
  if (typeof v !== 'string') throw new Untranslatable(`"${key}" must be a string`);
  return v;
}

function num(s: Settings, key: string): number {
  const v = s[key];
  if (v === undefined) throw new Untranslatable(`"${key}" is missing`);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Untranslatable(`"${key}" must be a number`);
  return v;
}

function positiveInt(s: Settings, key: string): number {
  const v = num(s, key);
  if (!Number.isInteger(v) || v < 1) throw new Untranslatable(`"${key}" must be a positive integer`);
  return v;
}

/** A command line split into words by the 2.5 worker's rules. */
function words(line: string, key: string): [string, ...string[]] {
  let w: string[];
  try {
    w = shlexSplit(line);
  } catch (e) {
    if (e instanceof ShlexError) throw new Untranslatable(`"${key}" cannot be split into words: ${e.message}`);
    throw e;
  }
  if (w.length === 0 || w[0] === '') throw new Untranslatable(`"${key}" names no program`);
  return w as [string, ...string[]];
}

/** Blender's --render-format takes EXR and MULTILAYER where the file format is called OPEN_EXR… */
const FORMAT_FOR_CLI: Readonly<Record<string, string>> = { OPEN_EXR: 'EXR', OPEN_EXR_MULTILAYER: 'MULTILAYER' };

/**
 * The frames Blender renders: the Flamenco 3 Worker counts a step per `Time:` line (one per
 * rendered frame) and per `skipping existing frame` line, and as the command has steps of its
 * own, none at its end. Flamenco 3's own compiler declares the same. Blender 3.4 prints the line
 * as ` Time: 00:00.44 (Saving: 00:00.29)`, with a leading space the worker's pattern does not
 * match, so with it a render reports only its skipped frames (seen with Blender 3.4.1). Without
 * --render-frame Blender renders nothing and the worker reports the usual one step at the end: 0.
 */
function frameSteps(frames: string | undefined): number {
  if (frames === undefined) return 0;
  try {
    return parseFrames(frames).length;
  } catch {
    // A frame syntax only Blender knows (relative or negative frames): at least one frame.
    return 1;
  }
}

/**
 * The 2.5 worker runs `<blender_cmd words> --enable-autoexec -noaudio --background <filepath>`
 * followed by the render settings, settings first and --render-frame last: Blender applies its
 * arguments in order and renders at --render-frame.
 */
function blenderRender(s: Settings, extraArgs: string[] = []): V3Command {
  const [exe, ...exeWords] = words(str(s, 'blender_cmd'), 'blender_cmd');
  const blendfile = str(s, 'filepath');
  const args: string[] = [];
  const pythonExpr = optStr(s, 'python_expr');
  if (pythonExpr !== undefined) args.push('--python-expr', pythonExpr);
  const output = optStr(s, 'render_output');
  if (output !== undefined) args.push('--render-output', output);
  const format = optStr(s, 'format');
  if (format !== undefined) args.push('--render-format', Object.hasOwn(FORMAT_FOR_CLI, format) ? FORMAT_FOR_CLI[format]! : format);
  const frames = optStr(s, 'frames');
  if (frames !== undefined) args.push('--render-frame', frames);
  return {
    name: 'blender-render',
    // The words of blender_cmd after the program go into argsBefore as they are: exeArgs would be
    // split again by the worker, with quoting rules of its own.
    parameters: { exe, exeArgs: '', argsBefore: [...exeWords, '--enable-autoexec', '-noaudio', '--background'], blendfile, args: [...args, ...extraArgs] },
    total_step_count: frameSteps(frames),
  };
}

/** The encoding settings the 2.5 worker's create_video puts between its input and its output. */
export const CREATE_VIDEO_ARGS: readonly string[] = ['-c:v', 'h264', '-crf', '20', '-g', '18', '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-pix_fmt', 'yuv420p', '-y', '-bf', '0'];

/** Worker 2.5's FFmpeg program: `ffmpeg_cmd` split into words, `ffmpeg` when it is not given. */
function ffmpegWords(s: Settings): [string, ...string[]] {
  return words(s.ffmpeg_cmd === undefined || s.ffmpeg_cmd === null ? 'ffmpeg' : str(s, 'ffmpeg_cmd'), 'ffmpeg_cmd');
}

type Translate = (s: Settings) => V3Command;

/** Every 2.5 command with a Flamenco 3 equivalent. */
const TRANSLATABLE: Readonly<Record<string, Translate>> = {
  echo(s) {
    if (!('message' in s)) throw new Untranslatable('"message" is missing');
    return { name: 'echo', parameters: { message: s.message }, total_step_count: 0 };
  },
  sleep(s) {
    const t = num(s, 'time_in_seconds');
    if (t < 0) throw new Untranslatable('"time_in_seconds" is negative, which Flamenco 3 refuses');
    // Flamenco 3 sleeps whole seconds (it drops the fraction); rounding up keeps the 2.5 worker's
    // promise of never sleeping less than asked.
    return { name: 'sleep', parameters: { duration_in_seconds: Math.ceil(t) }, total_step_count: 0 };
  },
  exec(s) {
    const cmd = str(s, 'cmd');
    const [exe, ...args] = words(cmd, 'cmd');
    return { name: 'exec', parameters: { exe, args }, total_step_count: 0 };
  },
  blender_render: (s) => blenderRender(s),
  blender_render_progressive(s) {
    const chunks = ['cycles_num_chunks', 'cycles_chunk_start', 'cycles_chunk_end'].map((k) => String(positiveInt(s, k)));
    return blenderRender(s, ['--', '--cycles-resumable-num-chunks', chunks[0]!, '--cycles-resumable-start-chunk', chunks[1]!, '--cycles-resumable-end-chunk', chunks[2]!]);
  },
  create_video(s) {
    const [exe, ...exeWords] = ffmpegWords(s);
    const inputGlob = str(s, 'input_files');
    const outputFile = str(s, 'output_file');
    const fps = num(s, 'fps');
    if (fps <= 0) throw new Untranslatable('"fps" must be more than 0');
    if (inputGlob === '' || outputFile === '') throw new Untranslatable('"input_files" and "output_file" may not be empty');
    return {
      name: 'frames-to-video',
      parameters: { exe, exeArgs: '', fps, inputGlob, outputFile, argsBefore: exeWords, args: [...CREATE_VIDEO_ARGS] },
      total_step_count: 0,
    };
  },
  // The FFmpeg runs of Worker 2.5 that read files rather than an image sequence: Flamenco 3's
  // frames-to-video cannot take them, its exec runs the very same command line.
  encode_audio(s) {
    const [exe, ...exeWords] = ffmpegWords(s);
    const args = [...exeWords, '-i', str(s, 'input_file'), '-c:a', str(s, 'codec'), '-b:a', str(s, 'bitrate'), '-y', str(s, 'output_file')];
    return { name: 'exec', parameters: { exe, args }, total_step_count: 0 };
  },
  mux_audio(s) {
    const [exe, ...exeWords] = ffmpegWords(s);
    const args = [...exeWords, '-i', str(s, 'audio_file'), '-i', str(s, 'video_file'), '-c', 'copy', '-y', str(s, 'output_file')];
    return { name: 'exec', parameters: { exe, args }, total_step_count: 0 };
  },
  move_to_final(s) {
    const src = str(s, 'src');
    const dest = str(s, 'dest');
    if (src === '' || dest === '') throw new Untranslatable('"src" and "dest" may not be empty');
    return { name: 'move-directory', parameters: { src, dest }, total_step_count: 0 };
  },
  copy_file(s) {
    const src = str(s, 'src');
    const dest = str(s, 'dest');
    if (src === '' || dest === '') throw new Untranslatable('"src" and "dest" may not be empty');
    return { name: 'copy-file', parameters: { src, dest }, total_step_count: 0 };
  },
};

/** Every other 2.5 command, with why Flamenco 3 cannot run it. */
export const NO_V3_EQUIVALENT: Readonly<Record<string, string>> = {
  move_out_of_way: 'Flamenco 3 has no command that only moves a directory aside (move-directory needs a destination and fails without a source)',
  remove_tree: 'Flamenco 3 has no command that deletes files or directories',
  remove_file: 'Flamenco 3 has no command that deletes files or directories',
  move_with_counter: 'Flamenco 3 has no command that moves a file to a numbered free name',
  create_python_file: 'Flamenco 3 has no command that writes a file',
  log_a_lot: 'a Worker 2.5 test command; Flamenco 3 has none like it',
  merge_progressive_renders: 'runs a merge script that ships with Worker 2.5; Flamenco 3 Workers do not have it',
  merge_progressive_render_sequence: 'runs a merge script that ships with Worker 2.5; Flamenco 3 Workers do not have it',
  exr_sequence_to_jpeg: 'runs a conversion script that ships with Worker 2.5; Flamenco 3 Workers do not have it',
  blender_render_audio: 'Worker 2.5 writes the audio mixdown script itself; Flamenco 3 has no audio command',
  concatenate_videos: "needs the list of input files that Worker 2.5 writes next to them; Flamenco 3's frames-to-video only reads image sequences",
};

/** The v3 form of one command, or why there is none. */
export function translateCommand(cmd: Command): { ok: true; command: V3Command } | { ok: false; reason: string } {
  const translate = Object.hasOwn(TRANSLATABLE, cmd.name) ? TRANSLATABLE[cmd.name] : undefined;
  if (!translate) {
    const why = Object.hasOwn(NO_V3_EQUIVALENT, cmd.name) ? NO_V3_EQUIVALENT[cmd.name] : 'not a command Flamenco Worker 2.5 or the translation knows';
    return { ok: false, reason: `${cmd.name}: ${why}` };
  }
  try {
    return { ok: true, command: translate(cmd.settings) };
  } catch (e) {
    if (e instanceof Untranslatable) return { ok: false, reason: `${cmd.name}: ${e.message}` };
    throw e;
  }
}

/** The 2.5 command names that have a translation. */
export const TRANSLATABLE_COMMANDS: readonly string[] = Object.keys(TRANSLATABLE);
