// The newest rendered image, per job and farm-wide, as workers report it through
// /output-produced (task-reports.ts keeps the paths). Only those stored paths are ever opened,
// never a path a client names, and only images whose content is PNG, JPEG or WebP are served.
// A copy is kept in <data-dir>/last-rendered/ when the path is reported, because frames move
// (a render job's last task moves them to their final folder).
import { constants, createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { type FileHandle, mkdir, open as openFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Repos } from '../repos';
import { NotFoundError } from '../support/errors';
import { isId } from '../support/ids';

/** Larger files are not previewed (a dashboard thumbnail does not need a 16K frame). */
export const PREVIEW_MAX_BYTES = 64 * 1024 * 1024;

export interface Preview {
  contentType: 'image/png' | 'image/jpeg' | 'image/webp';
  /** The open file; the caller streams and closes it. */
  handle: FileHandle;
  size: number;
}

export interface NoPreview {
  job: string | null;
  path: string | null;
  reason: string;
}

/** What the dashboard writes under a last-rendered image. */
export interface RenderedInfo {
  job: string | null;
  job_name: string | null;
  path: string | null;
  /** The frame number: the last run of digits in the file name (`shot_0042.png` → 42). */
  frame: number | null;
  /** When the manager took its copy of the image, soon after a worker reported it. */
  captured: string | null;
}

export function frameOf(file: string): number | null {
  const m = /(\d+)\D*$/.exec(path.basename(file).replace(/\.[^.]*$/, ''));
  return m ? Number(m[1]) : null;
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

/** The name of the farm-wide copy in the copies' folder (job copies are named by job id). */
const FARM = 'farm';

export class LastRendered {
  private readonly dir: string;
  private readonly copying = new Map<string, Promise<void>>();

  constructor(
    private readonly repos: Repos,
    dataDir: string,
  ) {
    this.dir = path.join(dataDir, 'last-rendered');
  }

  /** The path reported last for a job (job given) or for the whole farm. */
  path(jobId?: string): { job: string | null; path: string | null } {
    if (jobId === undefined) return { job: this.repos.settings.get('last_output_job') ?? null, path: this.repos.settings.get('last_output') ?? null };
    const j = isId(jobId) ? this.repos.jobs.get(jobId) : undefined;
    if (!j) throw new NotFoundError(`job ${jobId} not found`);
    return { job: j.id, path: j.last_output };
  }

  /** The job, frame and time of the image (job given) or of the farm's newest one. */
  async info(jobId?: string): Promise<RenderedInfo> {
    const { job, path: reported } = this.path(jobId);
    const name = jobId === undefined ? FARM : jobId;
    let captured: string | null = null;
    if (reported && this.kept(name) === reported) {
      captured = await stat(`${this.keptFile(name)}.path`).then((st) => st.mtime.toISOString(), () => null);
    }
    return { job, job_name: job ? (this.repos.jobs.name(job) ?? null) : null, path: reported, frame: reported ? frameOf(reported) : null, captured };
  }

  /** The image to serve, or why there is none. */
  async open(jobId?: string): Promise<Preview | NoPreview> {
    const { job, path } = this.path(jobId);
    if (!path) {
      return { job, path, reason: job ? 'no worker has reported a rendered image for this job yet' : 'no worker has reported a rendered image yet' };
    }
    // The copy taken when the path was reported: the frame may have moved since (a render job's
    // last task moves its frames from the intermediate folder to the final one).
    const kept = this.kept(job ?? FARM);
    if (kept === path) {
      const copy = await inspect(this.keptFile(job ?? FARM));
      if ('handle' in copy) return copy;
    }
    const found = await inspect(path);
    return 'handle' in found ? found : { job, path, reason: found.reason };
  }

  /**
   * Copies a just-reported image into the data directory (for the job and farm-wide), if it is
   * one that can be shown. Runs off the request path; reports for one job are copied in turn.
   */
  capture(jobId: string, path: string): Promise<void> {
    const run = async () => {
      const p = await inspect(path);
      if (!('handle' in p)) return;
      try {
        await mkdir(this.dir, { recursive: true });
        // The job's copy from the reported file, then the farm's from the job's copy. Each copy's
        // temporary name is its own (copies of different jobs run at the same time).
        const jobFile = this.keptFile(jobId);
        await copyInto(p.handle.createReadStream({ start: 0, end: p.size - 1, autoClose: false }), jobFile, path);
        await copyInto(createReadStream(jobFile), this.keptFile(FARM), path);
      } finally {
        await p.handle.close();
      }
    };
    const next = (this.copying.get(jobId) ?? Promise.resolve()).then(run).catch(() => undefined);
    this.copying.set(jobId, next);
    void next.then(() => {
      if (this.copying.get(jobId) === next) this.copying.delete(jobId);
    });
    return next;
  }

  /** Forgets a deleted job's copy. */
  async forget(jobId: string): Promise<void> {
    if (!isId(jobId)) return;
    await Promise.all([rm(this.keptFile(jobId), { force: true }), rm(`${this.keptFile(jobId)}.path`, { force: true })]);
  }

  private keptFile(name: string): string {
    return path.join(this.dir, name);
  }

  /** The reported path the kept copy was taken from. */
  private kept(name: string): string | undefined {
    try {
      return readFileSync(`${this.keptFile(name)}.path`, 'utf8');
    } catch {
      return undefined;
    }
  }
}

/** Copies made so far: each copy's temporary file has a name of its own. */
let copies = 0;

/** Copies a stream into `file` through a temporary file of its own, with the reported path beside it. */
async function copyInto(from: NodeJS.ReadableStream, file: string, reported: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${++copies}.tmp`;
  try {
    await pipeline(from, createWriteStream(tmp));
    await writeFile(`${tmp}.path`, reported);
    await rename(tmp, file);
    await rename(`${tmp}.path`, `${file}.path`);
  } finally {
    await Promise.all([rm(tmp, { force: true }), rm(`${tmp}.path`, { force: true })]);
  }
}

/**
 * The file opened if it is an image a browser can show, or why not. Workers name these paths,
 * so nothing here may wait on them: the file is opened on the thread pool and without blocking
 * (a named pipe would otherwise hold the open until someone writes to it), and only a regular
 * file is read.
 */
async function inspect(file: string): Promise<Preview | { reason: string }> {
  let handle: FileHandle | undefined;
  try {
    handle = await openFile(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const st = await handle.stat();
    if (!st.isFile()) return { reason: 'it is not a regular file' };
    if (st.size > PREVIEW_MAX_BYTES) return { reason: `it is larger than ${PREVIEW_MAX_BYTES / 1024 / 1024} MiB` };
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    const contentType = imageType(head.subarray(0, bytesRead));
    if (!contentType) return { reason: describe(head.subarray(0, bytesRead)) };
    const preview: Preview = { contentType, size: st.size, handle };
    handle = undefined;
    return preview;
  } catch (err) {
    return { reason: `the manager cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  } finally {
    await handle?.close();
  }
}
