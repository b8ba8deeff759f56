// The compilers that need no Blender: sleep (farm testing) and exec-command.
import { blenderFrames, chunk, chunkName, parseFrames } from '../frames';
import type { JobCompiler } from './types';

export const sleepCompiler: JobCompiler = {
  job_type: 'sleep',
  description: 'Sleeps per chunk of frames; for testing a farm.',
  settings: [
    { name: 'frames', type: 'frames', required: true, description: 'frame range, e.g. "1-10,20"' },
    { name: 'chunk_size', type: 'integer', required: false, default: 1, description: 'frames per task' },
    { name: 'time_in_seconds', type: 'number', required: false, default: 1, description: 'how long each task sleeps' },
  ],
  compile(s) {
    const frames = parseFrames(s.frames, 'settings.frames');
    return chunk(frames, s.chunk_size as number).map((c) => ({
      name: `sleep-${chunkName(c)}`,
      task_type: 'sleep',
      priority: 0,
      parents: [],
      commands: [
        { name: 'echo', settings: { message: `Preparing to sleep for frames ${blenderFrames(c)}` } },
        { name: 'sleep', settings: { time_in_seconds: s.time_in_seconds } },
      ],
    }));
  },
};

export const execCommandCompiler: JobCompiler = {
  job_type: 'exec-command',
  description: 'Runs one command line on one worker (admin token only).',
  admin_only: true,
  settings: [
    { name: 'cmd', type: 'string', required: true, admin_only: true, description: 'the command line to run' },
    { name: 'task_type', type: 'string', required: false, default: 'debug', description: 'task type of the one task' },
  ],
  compile(s) {
    return [{ name: 'exec-command', task_type: s.task_type as string, priority: 0, parents: [], commands: [{ name: 'exec', settings: { cmd: s.cmd } }] }];
  },
};
