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

/** The job types and their settings, as `job-types --json` and GET /api/job-types show them. */
export function jobTypesDocument(compilers: readonly JobCompiler[] = COMPILERS) {
  return compilers.map((c) => ({
    job_type: c.job_type,
    description: c.description,
    // default is null rather than absent so every entry has the same shape.
    settings: c.settings.map((s) => ({ name: s.name, type: s.type, required: s.required, default: s.default ?? null, description: s.description })),
  }));
}
