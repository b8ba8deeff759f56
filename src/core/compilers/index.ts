// The registry of job types. A new compiler slots in by being listed here.
import { blenderRenderCompiler } from './blender-render';
import { customCompiler } from './custom';
import { progressiveCompiler } from './progressive';
import { execCommandCompiler, sleepCompiler } from './simple';
import type { JobCompiler } from './types';
import { videoChunksCompiler } from './video-chunks';

export const COMPILERS: readonly JobCompiler[] = [
  blenderRenderCompiler, videoChunksCompiler, progressiveCompiler, customCompiler, sleepCompiler, execCommandCompiler,
];

export function compilerFor(jobType: string): JobCompiler | undefined {
  return COMPILERS.find((c) => c.job_type === jobType);
}
