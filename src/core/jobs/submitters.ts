// Who submits a job decides what the job may make workers run. Workers run what their tasks'
// commands name (Flamenco Worker 2.x splits `blender_cmd`, `ffmpeg_cmd` and `exec`'s `cmd` into a
// program and its arguments and starts it), so choosing a command means running anything on
// every worker. Only a submitter with the admin token may choose one:
// - `admin`: the CLI on the manager's machine, `submit --manager` and POST /api/jobs with the
//   token; every job type, every setting.
// - `trusted-network`: the Blender add-on's /api/v3 from `trusted_networks`, without a token;
//   only the job types offered to the add-on, never a setting marked admin_only (the executable
//   is then the manager's own `{blender}` / `{ffmpeg}` variable).
// This module is the one place that rule lives; the job-type schema marks what it applies to.
import { ForbiddenError } from '../support/errors';
import { isPlainObject } from '../support/validate';
import type { JobCompiler } from './compilers/types';

export type Submitter = 'admin' | 'trusted-network';

/** Whether a submitter without the admin token may submit this job type (the add-on is offered exactly these). */
export function openToTrustedNetworks(c: JobCompiler): boolean {
  return c.addon_label !== undefined && c.admin_only !== true;
}

/** Refuses, naming the job type or setting, what `by` may not choose; `settings` as submitted. */
export function checkSubmitter(c: JobCompiler, settings: unknown, by: Submitter): void {
  if (by === 'admin') return;
  if (!openToTrustedNetworks(c)) {
    throw new ForbiddenError(`job_type: "${c.job_type}" jobs need the admin token (submit them with flamenco-mgr submit or POST /api/jobs)`);
  }
  if (!isPlainObject(settings)) return;
  for (const s of c.settings) {
    if (s.admin_only && settings[s.name] !== undefined && settings[s.name] !== null) {
      throw new ForbiddenError(
        `settings.${s.name}: only a submitter with the admin token may set it; without one the manager's own default (${JSON.stringify(s.default)}) is used`,
      );
    }
  }
}
