// The newest rendered image, per job and farm-wide, as workers report it through
// /output-produced (task-reports.ts keeps the paths). Only those stored paths are ever opened,
// never a path a client names, and only images whose content is PNG, JPEG or WebP are served.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Repos } from '../repos';
import { NotFoundError } from '../support/errors';
import { isId } from '../support/ids';

/** Larger files are not previewed (a dashboard thumbnail does not need a 16K frame). */
export const PREVIEW_MAX_BYTES = 64 * 1024 * 1024;

export interface Preview {
  contentType: 'image/png' | 'image/jpeg' | 'image/webp';
  /** An open file descriptor; the caller streams and closes it. */
  fd: number;
  size: number;
}

export interface NoPreview {
  job: string | null;
  path: string | null;
  reason: string;
}

/** The image type by its first bytes, never by the file name. */
export function imageType(head: Buffer): Preview['contentType'] | undefined {
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

function describe(head: Buffer): string {
  if (head.length >= 4 && head.readUInt32LE(0) === 0x01312f76) return 'it is an OpenEXR image, which browsers cannot show';
  return 'its content is not a PNG, JPEG or WebP image';
}

export class LastRendered {
  constructor(private readonly repos: Repos) {}

  /** The path reported last for a job (job given) or for the whole farm. */
  path(jobId?: string): { job: string | null; path: string | null } {
    if (jobId === undefined) return { job: null, path: this.repos.settings.get('last_output') ?? null };
    const j = isId(jobId) ? this.repos.jobs.get(jobId) : undefined;
    if (!j) throw new NotFoundError(`job ${jobId} not found`);
    return { job: j.id, path: j.last_output };
  }

  /** The image to serve, or why there is none. */
  open(jobId?: string): Preview | NoPreview {
    const { job, path } = this.path(jobId);
    if (!path) {
      return { job, path, reason: job ? 'no worker has reported a rendered image for this job yet' : 'no worker has reported a rendered image yet' };
    }
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      return { job, path, reason: `the manager cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return { job, path, reason: 'it is not a regular file' };
      if (st.size > PREVIEW_MAX_BYTES) return { job, path, reason: `it is larger than ${PREVIEW_MAX_BYTES / 1024 / 1024} MiB` };
      const head = Buffer.alloc(12);
      const n = readSync(fd, head, 0, 12, 0);
      const contentType = imageType(head.subarray(0, n));
      if (!contentType) return { job, path, reason: describe(head.subarray(0, n)) };
      const preview: Preview = { contentType, fd, size: st.size };
      fd = -1;
      return preview;
    } catch (err) {
      return { job, path, reason: `the manager cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
}
