// The interface every job compiler implements. A compiler turns a validated job's settings into
// tasks; it never touches the database, so submission can validate everything before writing.
import type { Command } from '../../../db/tasks-repo';

export type SettingType = 'string' | 'integer' | 'number' | 'boolean' | 'frames';

export interface SettingSpec {
  name: string;
  type: SettingType;
  required: boolean;
  default?: unknown;
  description: string;
}

export interface CompiledTask {
  name: string;
  task_type: string;
  priority: number;
  commands: Command[];
  /** Names of other tasks of the same job. */
  parents: string[];
}

export interface CompileContext {
  /** Submission time, ms since the epoch. */
  now: number;
}

export interface JobCompiler {
  job_type: string;
  description: string;
  settings: readonly SettingSpec[];
  /** Settings have been checked against `settings` and defaults filled in. */
  compile(settings: Record<string, unknown>, ctx: CompileContext, job: Record<string, unknown>): CompiledTask[];
}
