// The registry of job types. A new compiler slots in by being listed here.
import { customCompiler } from './custom';
import { execCommandCompiler, sleepCompiler } from './simple';
import type { JobCompiler } from './types';

export const COMPILERS: readonly JobCompiler[] = [customCompiler, sleepCompiler, execCommandCompiler];

export function compilerFor(jobType: string): JobCompiler | undefined {
  return COMPILERS.find((c) => c.job_type === jobType);
}
