// The interface every job compiler implements. A compiler turns a validated job's settings into
// tasks; it never touches the database, so submission can validate everything before writing.
import type { Command } from '../../../db/tasks-repo';

export type SettingType = 'string' | 'integer' | 'number' | 'boolean' | 'frames';

/**
 * How the Blender add-on (Flamenco 3's, through /api/v3/jobs/types) shows a setting and fills it
 * in from the scene. The field names and values are the add-on's.
 */
export interface AddonHints {
  /** Python expression the add-on evaluates in Blender to get the value (e.g. the scene's frame range). */
  eval?: string;
  /** With showLinkButton the artist can toggle between the eval'd value and typing one. */
  evalInfo?: { showLinkButton: boolean; description: string };
  subtype?: 'file_path' | 'dir_path' | 'file_name' | 'hashed_file_path';
  /** submission: only in the add-on; web: only after submitting; hidden: never shown, eval'd at submission. */
  visible?: 'visible' | 'hidden' | 'submission' | 'web';
  editable?: boolean;
  /**
   * The name the add-on knows this setting by, when ours differs. The add-on writes the path of
   * the .blend it packed into a setting called `blendfile`.
   */
  key?: string;
}

export interface SettingSpec {
  name: string;
  type: SettingType;
  required: boolean;
  default?: unknown;
  description: string;
  /** Bounds of an integer or number (defaults: integers from 1, numbers from 0, no maximum). */
  min?: number;
  max?: number;
  /** Set for the settings of job types offered to the Blender add-on. */
  addon?: AddonHints;
  /**
   * Only a submitter with the admin token may set it (it names what a worker executes); others
   * get the default. Never offered to the Blender add-on. See jobs/submitters.ts.
   */
  admin_only?: true;
  /**
   * The value reaches a worker's command line as a path argument: it may not start with "-",
   * which the program would read as an option.
   */
  path?: true;
  /** The value is a name such as a Blender file format: letters, digits and "_" only. */
  identifier?: true;
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
  /** Submission time, ms since the epoch: the job's creation time. */
  now: number;
}

export interface JobCompiler {
  job_type: string;
  description: string;
  /** The name the Blender add-on shows; only job types with one are offered to the add-on. */
  addon_label?: string;
  /** Only submitters with the admin token may submit it (its tasks run commands the job names). */
  admin_only?: true;
  settings: readonly SettingSpec[];
  /**
   * Settings as the job keeps them, when compiling decides part of a value (a `{timestamp}`
   * becomes the creation time): the job then shows what its tasks use. Runs before compile.
   */
  resolveSettings?(settings: Record<string, unknown>, ctx: CompileContext): Record<string, unknown>;
  /** Settings have been checked against `settings` and defaults filled in. */
  compile(settings: Record<string, unknown>, ctx: CompileContext, job: Record<string, unknown>): CompiledTask[];
}
