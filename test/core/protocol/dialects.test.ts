// The translation between the worker generations (core/jobs/dialects.ts), as tables: task
// types, every command, and every job type compiled by the real compilers and translated task by
// task into what a Flamenco 3 Worker receives.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateJob } from '../../../src/core/jobs/jobs';
import {
  NO_V3_EQUIVALENT,
  TRANSLATABLE_COMMANDS,
  translateCommands,
  v2TaskTypesCoveredBy,
  v3AssignedTask,
  v3StepCount,
  V3_TASK_TYPES,
  v3TaskType,
  type V3Command,
} from '../../../src/core/jobs/dialects';
import { shlexSplit } from '../../../src/core/support/shlex';
import { sceneJob } from '../../helpers/addon';
import type { Command } from '../../../src/db/tasks-repo';

// 2026-11-27 12:00:00 UTC.
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const BLENDER_BEFORE = ['--enable-autoexec', '-noaudio', '--background'];
const VIDEO_ARGS = ['-c:v', 'h264', '-crf', '20', '-g', '18', '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-pix_fmt', 'yuv420p', '-y', '-bf', '0'];

const one = (name: string, settings: Record<string, unknown>) => translateCommands([{ name, settings }]);

/** Every task of a compiled job: name, v2 task type, v3 task type, and its translation. */
function translated(doc: Record<string, unknown>): { name: string; type: string; commands?: V3Command[]; steps?: number; reason?: string }[] {
  return validateJob(doc, NOW).tasks.map((t) => {
    const tr = translateCommands(t.commands);
    return { name: t.name, type: v3TaskType(t.task_type), ...(tr.ok ? { commands: tr.commands, steps: v3StepCount(tr.commands) } : { reason: tr.reason }) };
  });
}

describe('task types', () => {
  it('map v2 → v3 by the table; any other type keeps its name', () => {
    expect(['blender-render', 'video-encoding', 'file-management', 'sleep', 'debug', 'exec-command', 'exr-merge', 'blender', 'misc'].map(v3TaskType)).toEqual([
      'blender',
      'ffmpeg',
      'file-management',
      'misc',
      'misc',
      'misc',
      'blender',
      'blender',
      'misc',
    ]);
    expect(v3TaskType('comp')).toBe('comp');
    // Object.prototype keys are task types like any other.
    expect(v3TaskType('constructor')).toBe('constructor');
  });

  it('a Flamenco 3 worker runs its announced types and every v2 type mapping to one of them', () => {
    expect(v2TaskTypesCoveredBy(['blender', 'ffmpeg', 'file-management', 'misc'])).toEqual([
      'blender',
      'blender-render',
      'debug',
      'exec-command',
      'exr-merge',
      'ffmpeg',
      'file-management',
      'misc',
      'sleep',
      'video-encoding',
    ]);
    expect(v2TaskTypesCoveredBy(['ffmpeg'])).toEqual(['ffmpeg', 'video-encoding']);
    expect(v2TaskTypesCoveredBy(['comp', 'misc', 'misc'])).toEqual(['comp', 'debug', 'exec-command', 'misc', 'sleep']);
    expect(v2TaskTypesCoveredBy([])).toEqual([]);
  });
});

describe('commands', () => {
  it('echo keeps its message; sleep takes whole seconds, rounded up', () => {
    expect(one('echo', { message: 'hi' })).toEqual({ ok: true, commands: [{ name: 'echo', parameters: { message: 'hi' }, total_step_count: 0 }] });
    expect(one('sleep', { time_in_seconds: 5 })).toEqual({ ok: true, commands: [{ name: 'sleep', parameters: { duration_in_seconds: 5 }, total_step_count: 0 }] });
    expect(one('sleep', { time_in_seconds: 1.2 })).toMatchObject({ commands: [{ parameters: { duration_in_seconds: 2 } }] });
    expect(one('echo', {})).toEqual({ ok: false, reason: 'echo: "message" is missing' });
    expect(one('sleep', { time_in_seconds: '5' })).toEqual({ ok: false, reason: 'sleep: "time_in_seconds" must be a number' });
    expect(one('sleep', { time_in_seconds: -1 })).toEqual({ ok: false, reason: 'sleep: "time_in_seconds" is negative, which Flamenco 3 refuses' });
  });

  it('exec splits cmd into exe and args as Worker 2.5 does', () => {
    expect(one('exec', { cmd: `/bin/sh -c 'echo "a b" > /tmp/x'` })).toEqual({
      ok: true,
      commands: [{ name: 'exec', parameters: { exe: '/bin/sh', args: ['-c', 'echo "a b" > /tmp/x'] }, total_step_count: 0 }],
    });
    expect(one('exec', { cmd: 'ls' })).toMatchObject({ commands: [{ parameters: { exe: 'ls', args: [] } }] });
    expect(one('exec', { cmd: 'echo "unclosed' })).toEqual({ ok: false, reason: 'exec: "cmd" cannot be split into words: No closing quotation' });
    expect(one('exec', { cmd: '   ' })).toEqual({ ok: false, reason: 'exec: "cmd" names no program' });
    expect(one('exec', { cmd: 5 })).toEqual({ ok: false, reason: 'exec: "cmd" must be a string' });
  });

  it('blender_render becomes blender-render with the same argument list, render settings before --render-frame', () => {
    const t = one('blender_render', {
      blender_cmd: '/opt/blender/blender --factory-startup',
      filepath: '/p/shot.blend',
      python_expr: 'import bpy',
      render_output: '/r/######',
      format: 'OPEN_EXR',
      frames: '1..3,7',
    });
    expect(t).toEqual({
      ok: true,
      commands: [
        {
          name: 'blender-render',
          parameters: {
            exe: '/opt/blender/blender',
            exeArgs: '',
            argsBefore: ['--factory-startup', ...BLENDER_BEFORE],
            blendfile: '/p/shot.blend',
            args: ['--python-expr', 'import bpy', '--render-output', '/r/######', '--render-format', 'EXR', '--render-frame', '1..3,7'],
          },
          total_step_count: 4,
        },
      ],
    });
    // Settings Worker 2.5 skips when empty are left out; without frames Blender renders nothing.
    const bare = one('blender_render', { blender_cmd: 'blender', filepath: '/p/s.blend', python_expr: '', format: null });
    expect(bare).toEqual({
      ok: true,
      commands: [{ name: 'blender-render', parameters: { exe: 'blender', exeArgs: '', argsBefore: BLENDER_BEFORE, blendfile: '/p/s.blend', args: [] }, total_step_count: 0 }],
    });
    expect(one('blender_render', { blender_cmd: 'blender', filepath: '/p/s.blend', format: 'OPEN_EXR_MULTILAYER' })).toMatchObject({
      commands: [{ parameters: { args: ['--render-format', 'MULTILAYER'] } }],
    });
    // Any other format is passed on as it is, names of Object's own properties included.
    expect(one('blender_render', { blender_cmd: 'blender', filepath: '/p/s.blend', format: 'constructor' })).toMatchObject({
      commands: [{ parameters: { args: ['--render-format', 'constructor'] } }],
    });
    // A program path with spaces, quoted as Worker 2.5 needs it.
    expect(one('blender_render', { blender_cmd: '"C:\\Program Files\\Blender\\blender.exe" -y', filepath: 'S:/p/s.blend' })).toMatchObject({
      commands: [{ parameters: { exe: 'C:\\Program Files\\Blender\\blender.exe', argsBefore: ['-y', ...BLENDER_BEFORE], blendfile: 'S:/p/s.blend' } }],
    });
    expect(one('blender_render', { filepath: '/p/s.blend' })).toEqual({ ok: false, reason: 'blender_render: "blender_cmd" is missing' });
    expect(one('blender_render', { blender_cmd: 'blender' })).toEqual({ ok: false, reason: 'blender_render: "filepath" is missing' });
    expect(one('blender_render', { blender_cmd: 'blender', filepath: '/p', frames: 5 })).toEqual({ ok: false, reason: 'blender_render: "frames" must be a string' });
  });

  it('blender_render_progressive adds the Cycles chunk arguments after --', () => {
    const t = one('blender_render_progressive', {
      blender_cmd: 'blender',
      filepath: '/p/s.blend',
      format: 'OPEN_EXR',
      render_output: '/i/r-######',
      frames: '1..2',
      cycles_num_chunks: 100,
      cycles_chunk_start: 1,
      cycles_chunk_end: 3,
    });
    expect(t).toMatchObject({
      commands: [
        {
          name: 'blender-render',
          parameters: {
            args: [
              '--render-output',
              '/i/r-######',
              '--render-format',
              'EXR',
              '--render-frame',
              '1..2',
              '--',
              '--cycles-resumable-num-chunks',
              '100',
              '--cycles-resumable-start-chunk',
              '1',
              '--cycles-resumable-end-chunk',
              '3',
            ],
          },
          total_step_count: 2,
        },
      ],
    });
    expect(one('blender_render_progressive', { blender_cmd: 'b', filepath: '/p', cycles_num_chunks: 0, cycles_chunk_start: 1, cycles_chunk_end: 1 })).toEqual({
      ok: false,
      reason: 'blender_render_progressive: "cycles_num_chunks" must be a positive integer',
    });
  });

  it('create_video becomes frames-to-video with the same encoding settings', () => {
    expect(one('create_video', { ffmpeg_cmd: '/usr/bin/ffmpeg -hide_banner', input_files: '/r/*.png', output_file: '/r/v.mp4', fps: 24 })).toEqual({
      ok: true,
      commands: [
        {
          name: 'frames-to-video',
          parameters: { exe: '/usr/bin/ffmpeg', exeArgs: '', fps: 24, inputGlob: '/r/*.png', outputFile: '/r/v.mp4', argsBefore: ['-hide_banner'], args: VIDEO_ARGS },
          total_step_count: 0,
        },
      ],
    });
    // Worker 2.5's default program.
    expect(one('create_video', { input_files: '/r/*.png', output_file: '/r/v.mp4', fps: 23.976 })).toMatchObject({ commands: [{ parameters: { exe: 'ffmpeg', fps: 23.976 } }] });
    expect(one('create_video', { input_files: '/r/*.png', output_file: '/r/v.mp4', fps: 0 })).toEqual({ ok: false, reason: 'create_video: "fps" must be more than 0' });
    expect(one('create_video', { input_files: '/r/*.png', output_file: '/r/v.mp4' })).toEqual({ ok: false, reason: 'create_video: "fps" is missing' });
  });

  it('encode_audio and mux_audio become exec of the same FFmpeg command line', () => {
    expect(one('encode_audio', { ffmpeg_cmd: 'ffmpeg -v error', input_file: 'a.flac', output_file: '/o/a.aac', codec: 'aac', bitrate: '192k' })).toEqual({
      ok: true,
      commands: [{ name: 'exec', parameters: { exe: 'ffmpeg', args: ['-v', 'error', '-i', 'a.flac', '-c:a', 'aac', '-b:a', '192k', '-y', '/o/a.aac'] }, total_step_count: 0 }],
    });
    expect(one('mux_audio', { audio_file: '/a.aac', video_file: '/v.mkv', output_file: '/m.mkv' })).toEqual({
      ok: true,
      commands: [{ name: 'exec', parameters: { exe: 'ffmpeg', args: ['-i', '/a.aac', '-i', '/v.mkv', '-c', 'copy', '-y', '/m.mkv'] }, total_step_count: 0 }],
    });
    expect(one('encode_audio', { input_file: 'a.flac', output_file: '/o/a.aac', codec: 'aac' })).toEqual({ ok: false, reason: 'encode_audio: "bitrate" is missing' });
  });

  it('move_to_final becomes move-directory, copy_file copy-file', () => {
    expect(one('move_to_final', { src: '/a', dest: '/b' })).toEqual({
      ok: true,
      commands: [{ name: 'move-directory', parameters: { src: '/a', dest: '/b' }, total_step_count: 0 }],
    });
    expect(one('copy_file', { src: '/a/f', dest: '/b/f' })).toEqual({
      ok: true,
      commands: [{ name: 'copy-file', parameters: { src: '/a/f', dest: '/b/f' }, total_step_count: 0 }],
    });
    expect(one('move_to_final', { src: '/a' })).toEqual({ ok: false, reason: 'move_to_final: "dest" is missing' });
    expect(one('copy_file', { src: '', dest: '/b' })).toEqual({ ok: false, reason: 'copy_file: "src" and "dest" may not be empty' });
  });

  it('every other Worker 2.5 command has no equivalent, with the reason', () => {
    for (const [name, why] of Object.entries(NO_V3_EQUIVALENT)) expect(one(name, {})).toEqual({ ok: false, reason: `${name}: ${why}` });
    expect(one('frobnicate', {})).toEqual({ ok: false, reason: 'frobnicate: not a command Flamenco Worker 2.5 or the translation knows' });
    expect(one('toString', {})).toMatchObject({ ok: false });
    // The first command without an equivalent decides; a task without commands is no task.
    expect(
      translateCommands([
        { name: 'echo', settings: { message: 'x' } },
        { name: 'remove_tree', settings: { path: '/x' } },
      ]),
    ).toEqual({
      ok: false,
      reason: `remove_tree: ${NO_V3_EQUIVALENT.remove_tree}`,
    });
    expect(translateCommands([])).toEqual({ ok: false, reason: 'the task has no commands' });
    expect([...TRANSLATABLE_COMMANDS].sort()).toEqual([
      'blender_render',
      'blender_render_progressive',
      'copy_file',
      'create_video',
      'echo',
      'encode_audio',
      'exec',
      'move_to_final',
      'mux_audio',
      'sleep',
    ]);
  });

  it('splits command lines exactly as Python shlex.split does (outputs taken from Python 3)', () => {
    const cases: [string, string[] | string][] = [
      ['a b', ['a', 'b']],
      ['a\\ b', ['a b']],
      ['"a\\b"', ['a\\b']],
      ['"a\\\\b"', ['a\\b']],
      ["'a\\b'", ['a\\b']],
      ['a"b c"d', ['ab cd']],
      ['""', ['']],
      ['x "" y', ['x', '', 'y']],
      ['C:\\Program\\ Files\\b.exe -x', ['C:Program Filesb.exe', '-x']],
      ['"a\\"b"', ['a"b']],
      ['  tab\tand\nnewline  ', ['tab', 'and', 'newline']],
      ['"abc', 'No closing quotation'],
      ['abc\\', 'No escaped character'],
      ['"abc\\', 'No escaped character'],
    ];
    for (const [line, want] of cases) {
      if (typeof want === 'string') expect(() => shlexSplit(line), line).toThrow(want);
      else expect(shlexSplit(line), line).toEqual(want);
    }
  });
});

describe('steps and the assigned task', () => {
  it('counts a step per Blender frame and one per other command', () => {
    const cmds: Command[] = [
      { name: 'echo', settings: { message: 'x' } },
      { name: 'blender_render', settings: { blender_cmd: 'b', filepath: '/f', frames: '1..10,12' } },
      { name: 'sleep', settings: { time_in_seconds: 1 } },
    ];
    expect(v3StepCount(cmds)).toBe(13);
    const t = translateCommands(cmds);
    expect(t.ok && v3StepCount(t.commands)).toBe(13);
    expect(v3StepCount([{ name: 'remove_tree', settings: { path: '/x' } }])).toBe(0);
  });

  it('has exactly the keys of the AssignedTask schema, the task type in its v3 name', () => {
    const task = { id: 't1', job_id: 'j1', name: 'render-1-3', status: 'active' as const, priority: 0, job_priority: 50, task_type: 'blender-render' };
    const t = translateCommands([{ name: 'blender_render', settings: { blender_cmd: 'blender', filepath: '/f.blend', frames: '1..3' } }]);
    if (!t.ok) throw new Error(t.reason);
    const a = v3AssignedTask(task, { job_type: 'simple-blender-render' }, t.commands);
    expect(Object.keys(a).sort()).toEqual(['commands', 'job', 'job_priority', 'job_type', 'name', 'priority', 'status', 'steps_completed', 'steps_total', 'task_type', 'uuid']);
    expect(a).toMatchObject({ uuid: 't1', job: 't1'.replace('t', 'j'), task_type: 'blender', job_type: 'simple-blender-render', steps_completed: 0, steps_total: 3 });
    expect(Object.keys(a.commands[0]!).sort()).toEqual(['name', 'parameters', 'total_step_count']);
  });
});

describe('every job type, compiled and translated', () => {
  it('simple-blender-render: every task translates', () => {
    const DIR = '/render/shot12/2026-11-27_120000';
    const tasks = translated(sceneJob({ frames: '1-4' }));
    const expr = 'import bpy; s = bpy.context.scene.render; s.use_file_extension = True; s.use_overwrite = False; s.use_placeholder = False';
    const render = (frames: string, steps: number) => ({
      name: 'blender-render',
      parameters: {
        exe: '{blender}',
        exeArgs: '',
        argsBefore: BLENDER_BEFORE,
        blendfile: '/jobs/shot12.flamenco.blend',
        args: ['--python-expr', expr, '--render-output', `${DIR}/######`, '--render-format', 'PNG', '--render-frame', frames],
      },
      total_step_count: steps,
    });
    expect(tasks).toEqual([
      { name: 'render-1-3', type: 'blender', commands: [render('1..3', 3)], steps: 3 },
      { name: 'render-4', type: 'blender', commands: [render('4', 1)], steps: 1 },
      {
        name: 'preview-video',
        type: 'ffmpeg',
        steps: 1,
        commands: [
          {
            name: 'frames-to-video',
            parameters: { exe: '{ffmpeg}', exeArgs: '', fps: 24, inputGlob: `${DIR}/*.png`, outputFile: `${DIR}/shot12-1-4.mp4`, argsBefore: [], args: VIDEO_ARGS },
            total_step_count: 0,
          },
        ],
      },
    ]);
  });

  it('blender-render: renders, video and move to final translate', () => {
    const INTER = '/render/shot12/frames__intermediate-2026-11-27_120000';
    const tasks = translated({
      name: 'shot12',
      job_type: 'blender-render',
      settings: {
        filepath: '/proj/shot12.blend',
        frames: '1-2',
        chunk_size: 2,
        render_output: '/render/shot12/frames/######',
        format: 'JPEG',
        fps: 25,
        output_file_extension: '.jpg',
        create_video: true,
      },
    });
    expect(tasks).toEqual([
      {
        name: 'blender-render-1,2',
        type: 'blender',
        steps: 2,
        commands: [
          {
            name: 'blender-render',
            parameters: {
              exe: '{blender}',
              exeArgs: '',
              argsBefore: BLENDER_BEFORE,
              blendfile: '/proj/shot12.blend',
              args: ['--render-output', `${INTER}/######`, '--render-format', 'JPEG', '--render-frame', '1,2'],
            },
            total_step_count: 2,
          },
        ],
      },
      {
        name: 'create-video',
        type: 'ffmpeg',
        steps: 1,
        commands: [
          {
            name: 'frames-to-video',
            parameters: { exe: '{ffmpeg}', exeArgs: '', fps: 25, inputGlob: `${INTER}/*.jpg`, outputFile: `${INTER}/shot12-1,2.mkv`, argsBefore: [], args: VIDEO_ARGS },
            total_step_count: 0,
          },
        ],
      },
      {
        name: 'move-to-final',
        type: 'file-management',
        steps: 1,
        commands: [{ name: 'move-directory', parameters: { src: INTER, dest: '/render/shot12/frames' }, total_step_count: 0 }],
      },
    ]);
  });

  it('blender-video-chunks: renders, encodes and muxing translate; moving aside, joining, the audio mixdown and the counted move do not', () => {
    const tasks = translated({
      name: 'shot12',
      job_type: 'blender-video-chunks',
      settings: {
        filepath: '/proj/shot12.blend',
        frames: '1-2',
        chunk_size: 2,
        render_output: '/render/shot12/video/######',
        fps: 24,
        output_file_extension: '.mkv',
        extract_audio: true,
      },
    });
    const FR = '/render/shot12/video/frames';
    expect(tasks.map((t) => [t.name, t.type, t.reason?.split(':')[0] ?? t.commands!.map((c) => c.name).join(',')])).toEqual([
      ['move-out-of-way', 'file-management', 'move_out_of_way'],
      ['frame-chunk-1,2', 'blender', 'blender-render'],
      ['video-chunk-1,2', 'ffmpeg', 'frames-to-video'],
      ['concatenate-videos', 'ffmpeg', 'concatenate_videos'],
      ['render-audio', 'blender', 'blender_render_audio'],
      ['encode-audio', 'ffmpeg', 'exec'],
      ['mux-audio-video', 'ffmpeg', 'exec'],
      ['move-with-counter', 'file-management', 'move_with_counter'],
    ]);
    expect(tasks[1]!.commands![0]!.parameters).toEqual({
      exe: '{blender}',
      exeArgs: '',
      argsBefore: BLENDER_BEFORE,
      blendfile: '/proj/shot12.blend',
      args: ['--render-output', `${FR}/chunk-00001-00002/######.png`, '--render-format', 'PNG', '--render-frame', '1,2'],
    });
    expect(tasks[2]!.commands![0]!.parameters).toEqual({
      exe: '{ffmpeg}',
      exeArgs: '',
      fps: 24,
      inputGlob: `${FR}/chunk-00001-00002/*.png`,
      outputFile: `${FR}/chunk-00001-00002.mkv`,
      argsBefore: [],
      args: VIDEO_ARGS,
    });
    expect(tasks[5]!.commands).toEqual([
      {
        name: 'exec',
        parameters: { exe: '{ffmpeg}', args: ['-i', `${FR}/audio.flac`, '-c:a', 'aac', '-b:a', '192k', '-y', `${FR}/audio.aac`] },
        total_step_count: 0,
      },
    ]);
    expect(tasks[6]!.commands).toEqual([
      {
        name: 'exec',
        parameters: { exe: '{ffmpeg}', args: ['-i', `${FR}/audio.aac`, '-i', `${FR}/video.mkv`, '-c', 'copy', '-y', `${FR}/muxed.mkv`] },
        total_step_count: 0,
      },
    ]);
  });

  it('blender-render-progressive: renders, merges and publishing copies translate; deleting, previews and moving aside do not', () => {
    const tasks = translated({
      name: 'shot12',
      job_type: 'blender-render-progressive',
      settings: { filepath: '/proj/shot12.blend', frames: '1-2', render_output: '/render/shot12/frames/######', cycles_sample_count: 20, cycles_sample_cap: 10, fps: 24 },
    });
    const kinds = tasks.map((t) => [t.name, t.type, t.reason?.split(':')[0] ?? t.commands!.map((c) => c.name).join(',')]);
    expect(kinds.filter((k) => !/^(render-s_|create-preview|merge-to)/.test(k[0]!))).toEqual([
      ['destroy-preexisting-intermediate', 'file-management', 'remove_tree'],
      ['move-outdir-out-of-way', 'file-management', 'move_out_of_way'],
      ['publish-exr-to-output', 'file-management', 'copy-file,copy-file'],
      ['publish-jpeg-to-output', 'file-management', 'copy-file,copy-file'],
      ['publish-video-to-output', 'file-management', 'copy-file'],
    ]);
    for (const k of kinds) {
      if (k[0]!.startsWith('render-s_')) expect(k.slice(1)).toEqual(['blender', 'blender-render']);
      if (k[0]!.startsWith('create-preview-images')) expect(k.slice(1)).toEqual(['blender', 'exr_sequence_to_jpeg']);
      if (k[0]!.startsWith('create-preview-video')) expect(k.slice(1)).toEqual(['ffmpeg', 'frames-to-video']);
      if (k[0]!.startsWith('merge-to')) expect(k.slice(1)).toEqual(['blender', 'blender-render']);
    }
    const render = tasks.find((t) => t.name.startsWith('render-s_'))!;
    expect(render.commands![0]!.parameters.args).toEqual([
      '--python-expr',
      expect.stringContaining('scene.cycles.samples = 4\n    scene.cycles.seed = 1\n'),
      '--render-output',
      '/render/shot12/frames__intermediate-2026-11-27_120000/render-smpl-0001-0004-######',
      '--render-format',
      'EXR',
      '--render-frame',
      '1,2',
    ]);
  });

  it('sleep and exec-command: misc tasks of echo, sleep and exec', () => {
    expect(translated({ name: 's', job_type: 'sleep', settings: { frames: '1-3', chunk_size: 3, time_in_seconds: 2 } })).toEqual([
      {
        name: 'sleep-1-3',
        type: 'misc',
        steps: 2,
        commands: [
          { name: 'echo', parameters: { message: 'Preparing to sleep for frames 1..3' }, total_step_count: 0 },
          { name: 'sleep', parameters: { duration_in_seconds: 2 }, total_step_count: 0 },
        ],
      },
    ]);
    expect(translated({ name: 'e', job_type: 'exec-command', settings: { cmd: "touch '/tmp/a b'" } })).toEqual([
      {
        name: 'exec-command',
        type: 'misc',
        steps: 1,
        commands: [{ name: 'exec', parameters: { exe: 'touch', args: ['/tmp/a b'] }, total_step_count: 0 }],
      },
    ]);
  });

  it('custom: each task by its own commands, its type kept when the table has none', () => {
    const tasks = translated({
      name: 'c',
      job_type: 'custom',
      tasks: [
        { name: 'a', task_type: 'comp', commands: [{ name: 'exec', settings: { cmd: 'nuke -x comp.nk' } }] },
        { name: 'b', task_type: 'comp', commands: [{ name: 'create_python_file', settings: { filepath: '/x.py', contents: '' } }] },
      ],
    });
    expect(tasks).toEqual([
      { name: 'a', type: 'comp', steps: 1, commands: [{ name: 'exec', parameters: { exe: 'nuke', args: ['-x', 'comp.nk'] }, total_step_count: 0 }] },
      { name: 'b', type: 'comp', reason: `create_python_file: ${NO_V3_EQUIVALENT.create_python_file}` },
    ]);
  });
});

describe('docs/task-translation.md', () => {
  const doc = readFileSync(path.join(import.meta.dirname, '..', '..', '..', 'docs', 'task-translation.md'), 'utf8');

  it('has every task type of the table, a section for every translated command and a row for every other', () => {
    for (const [v2, v3] of Object.entries(V3_TASK_TYPES)) expect(doc, v2).toContain(`| \`${v2}\` | \`${v3}\``);
    for (const name of TRANSLATABLE_COMMANDS) expect(doc, name).toMatch(new RegExp(`### .*\`${name}\``));
    const noEquivalent = doc.slice(doc.indexOf('### No Flamenco 3 equivalent'));
    for (const name of Object.keys(NO_V3_EQUIVALENT)) {
      expect(
        noEquivalent.split('\n').some((l) => l.startsWith('| ') && l.split('|')[1]!.includes(`\`${name}\``)),
        name,
      ).toBe(true);
    }
  });
});
