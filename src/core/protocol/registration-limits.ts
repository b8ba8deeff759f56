// Bounds on what a worker may tell us about itself. Registration is open by default, so these
// fields come from anyone: unbounded, 57 registrations with a 1 MB nickname and 10 000 task types
// make /api/workers 14 MB. The limits leave room for any real worker (the Flamenco Worker sends
// its host name, one of linux/windows/darwin, a handful of task types and a 64-character secret).
import { ValidationError } from '../support/errors';
import { string, stringList } from '../support/validate';

export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 256;
/** A DNS host name is at most 253 characters. */
export const MAX_NICKNAME_LENGTH = 255;
export const MAX_PLATFORM_LENGTH = 32;
export const MAX_TASK_TYPES = 64;
export const MAX_TASK_TYPE_LENGTH = 64;

/** Open registration: at most this many registrations per source address per window. */
export const REGISTRATIONS_PER_ADDRESS = 20;
export const REGISTRATION_WINDOW_MS = 60_000;

/** Checks the self-description fields of /register-worker and /sign-on; each error names its limit. */
export function checkWorkerFields(f: { secret?: string; nickname?: string; platform?: string; supported_task_types?: string[] }): void {
  if (f.secret !== undefined) {
    if (f.secret.length < MIN_SECRET_LENGTH) throw new ValidationError(`secret must be at least ${MIN_SECRET_LENGTH} characters`);
    string(f.secret, 'secret', { max: MAX_SECRET_LENGTH });
  }
  if (f.nickname !== undefined) string(f.nickname, 'nickname', { max: MAX_NICKNAME_LENGTH });
  if (f.platform !== undefined) string(f.platform, 'platform', { max: MAX_PLATFORM_LENGTH });
  if (f.supported_task_types !== undefined) stringList(f.supported_task_types, 'supported_task_types', { maxItems: MAX_TASK_TYPES, max: MAX_TASK_TYPE_LENGTH });
}
