// The registry of job types. A new compiler slots in by being listed here.
import { blenderRenderCompiler } from './blender-render';
import { customCompiler } from './custom';
import { progressiveCompiler } from './progressive';
import { execCommandCompiler, sleepCompiler } from './simple';
import { simpleBlenderRenderCompiler } from './simple-blender-render';
import type { JobCompiler } from './types';
import { videoChunksCompiler } from './video-chunks';

export const COMPILERS: readonly JobCompiler[] = [
  simpleBlenderRenderCompiler,
  blenderRenderCompiler,
  videoChunksCompiler,
  progressiveCompiler,
  customCompiler,
  sleepCompiler,
  execCommandCompiler,
];

export function compilerFor(jobType: string): JobCompiler | undefined {
  return COMPILERS.find((c) => c.job_type === jobType);
}

/** The job types and their settings, as `job-types --json` and GET /api/job-types show them. */
export function jobTypesDocument(compilers: readonly JobCompiler[] = COMPILERS) {
  return compilers.map((c) => ({
    job_type: c.job_type,
    description: c.description,
    ...(c.addon_label ? { addon_label: c.addon_label } : {}),
    ...(c.admin_only ? { admin_only: true } : {}),
    // default is null rather than absent so every entry has the same shape; bounds and the
    // Blender add-on's hints only where a setting has them.
    settings: c.settings.map((s) => ({
      name: s.name,
      type: s.type,
      required: s.required,
      default: s.default ?? null,
      description: s.description,
      ...(s.min !== undefined ? { min: s.min } : {}),
      ...(s.max !== undefined ? { max: s.max } : {}),
      ...(s.addon ? { addon: s.addon } : {}),
      ...(s.admin_only ? { admin_only: true } : {}),
    })),
  }));
}
