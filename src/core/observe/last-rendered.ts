// The newest rendered image, per job and farm-wide, as workers report it through
// /output-produced (task-reports.ts keeps the paths). Only those stored paths are ever opened,
// never a path a client names, and only:
// - files below the job's output folders (its settings, see outputLocations) or the shared
//   storage, with no symbolic link on the way below that folder and none as the file itself, so a
//   worker cannot point the manager at any other file on its disk;
// - regular files whose content is PNG, JPEG or WebP, at most PREVIEW_MAX_BYTES.
// Every other path gets one and the same reason, which says nothing about whether it exists.
// A copy is kept in <data-dir>/last-rendered/ when the path is reported, because frames move
// (a render job's last task moves them to their final folder). A job has at most one copy under
// way and one waiting (the newest report); a file unchanged since its last copy is not copied again.
import { constants, createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { type FileHandle, mkdir, open as openFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { outputLocations } from '../jobs/compilers/paths';
import type { Variables } from '../jobs/variables';
import type { RenderedInfo } from '../api-types';
import type { Repos } from '../repos';

export type { RenderedInfo } from '../api-types';
import { NotFoundError } from '../support/errors';
import { PRIVATE_DIR, PRIVATE_FILE } from '../support/file-modes';
import { isId } from '../support/ids';

/** Larger files are not previewed (a dashboard thumbnail does not need a 16K frame). */
export const PREVIEW_MAX_BYTES = 64 * 1024 * 1024;

/** The one reason for a path that cannot be shown, whatever is (or is not) there. */
export const NOT_SHOWN = "it is not an image file the manager may show: a PNG, JPEG or WebP file below the job's output folder or the shared storage";

export interface Preview {
  contentType: 'image/png' | 'image/jpeg' | 'image/webp';
  /** The open file; the caller streams and closes it. */
  handle: FileHandle;
  size: number;
  /** Changes whenever the file does (device, inode, size, modification time): the answer's ETag. */
  version: string;
}

export interface NoPreview {
  job: string | null;
  path: string | null;
  reason: string;
}

/**
 * The frame number at the end of a reported file's name (`…/000012.png` → 12). An image a
 * Flamenco 3 Worker sent as bytes is kept under a label naming its task, not a file: no frame.
 */
export function frameOf(file: string): number | null {
  if (!path.isAbsolute(file)) return null;
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

/** The manager's own platform as job variables name it. */
const OWN_PLATFORM = process.platform === 'win32' ? 'windows' : process.platform;

/** A folder whose files count (`dir`), or a name start below a real folder (`prefix`, with its folder). */
interface Root {
  /** The path a reported file must start with. */
  start: string;
  /** The folder below which no symbolic link may stand. */
  folder: string;
}

export class LastRendered {
  private readonly dir: string;
  /** Per job: the copy under way (its promise) and the newest path waiting for it. */
  private readonly copying = new Map<string, { done: Promise<void>; next?: string }>();
  /** Copies made so far (each reads the whole image once). */
  copiesMade = 0;
  /** Per job: the file its kept copy was taken from, as (device, inode, size, mtime). */
  private readonly copiedFrom = new Map<string, string>();

  constructor(
    private readonly repos: Repos,
    dataDir: string,
    private readonly sharedStorage: () => string,
    private readonly variables: () => Variables | undefined = () => undefined,
  ) {
    this.dir = path.join(dataDir, 'last-rendered');
  }

  /** The path reported last for a job (job given) or for the whole farm. */
  path(jobId?: string): { job: string | null; path: string | null } {
    if (jobId === undefined) return { job: null, path: this.repos.settings.get('last_output') ?? null };
    const j = isId(jobId) ? this.repos.jobs.get(jobId) : undefined;
    if (!j) throw new NotFoundError(`job ${jobId} not found`);
    return { job: j.id, path: j.last_output };
  }

  /** The job, frame and time of the image (job given) or of the farm's newest one. */
  async info(jobId?: string): Promise<RenderedInfo> {
    const { path: reported } = this.path(jobId);
    // The farm-wide image's job: the one it was reported for.
    const job = jobId === undefined ? (this.repos.settings.get('last_output_job') ?? null) : jobId;
    const name = jobId === undefined ? FARM : jobId;
    let captured: string | null = null;
    if (reported && this.kept(name) === reported) {
      captured = await stat(`${this.keptFile(name)}.path`).then(
        (st) => st.mtime.toISOString(),
        () => null,
      );
    }
    return { job, job_name: job ? (this.repos.jobs.name(job) ?? null) : null, path: reported, frame: reported ? frameOf(reported) : null, captured };
  }

  /** The image to serve, or why there is none. */
  async open(jobId?: string): Promise<Preview | NoPreview> {
    // A copy under way is of the image to serve: waiting for it answers with the copy (and its
    // ETag) from the first request on. Served from the reported file meanwhile, the image changed
    // its ETag once the copy was kept, and a dashboard fetched the same frame twice. The copy was
    // started before anyone heard of the report (capture runs on the event, before the streams).
    const source = jobId ?? this.repos.settings.get('last_output_job');
    const capturing = source === undefined ? undefined : this.copying.get(source);
    if (capturing) await capturing.done;
    const { job, path: reported } = this.path(jobId);
    if (!reported) {
      return { job, path: reported, reason: job ? 'no worker has reported a rendered image for this job yet' : 'no worker has reported a rendered image yet' };
    }
    // The copy taken when the path was reported: the frame may have moved since (a render job's
    // last task moves its frames from the intermediate folder to the final one).
    const kept = this.kept(job ?? FARM);
    if (kept === reported) {
      const copy = await inspect(this.keptFile(job ?? FARM));
      if ('handle' in copy) return copy;
    }
    const found = await this.inspectReported(job ?? this.repos.settings.get('last_output_job') ?? undefined, reported);
    return 'handle' in found ? found : { job, path: reported, reason: found.reason };
  }

  /**
   * Copies a just-reported image into the data directory (for the job and farm-wide), if it is
   * one that can be shown. Runs off the request path; a job has one copy under way at most, and
   * reports that come meanwhile leave only the newest waiting.
   */
  capture(jobId: string, reported: string): Promise<void> {
    const busy = this.copying.get(jobId);
    if (busy) {
      busy.next = reported;
      return busy.done;
    }
    const state: { done: Promise<void>; next?: string } = { done: Promise.resolve(), next: reported };
    state.done = (async () => {
      while (state.next !== undefined) {
        const p = state.next;
        state.next = undefined;
        await this.copy(jobId, p).catch(() => undefined);
      }
      this.copying.delete(jobId);
    })();
    this.copying.set(jobId, state);
    return state.done;
  }

  private async copy(jobId: string, reported: string): Promise<void> {
    const p = await this.inspectReported(jobId, reported);
    if (!('handle' in p)) return;
    try {
      // The same file as last time, unchanged: the kept copy is it already.
      if (this.copiedFrom.get(jobId) === p.version && this.kept(jobId) === reported) return;
      await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR });
      // The job's copy from the reported file, then the farm's from the job's copy. Each copy's
      // temporary name is its own (copies of different jobs run at the same time).
      const jobFile = this.keptFile(jobId);
      await copyInto(p.handle.createReadStream({ start: 0, end: p.size - 1, autoClose: false }), jobFile, reported);
      await copyInto(createReadStream(jobFile), this.keptFile(FARM), reported);
      this.copiedFrom.set(jobId, p.version);
      this.copiesMade++;
    } finally {
      await p.handle.close();
    }
  }

  /** Forgets a deleted job's copy. */
  async forget(jobId: string): Promise<void> {
    if (!isId(jobId)) return;
    this.copiedFrom.delete(jobId);
    await Promise.all([rm(this.keptFile(jobId), { force: true }), rm(`${this.keptFile(jobId)}.path`, { force: true })]);
  }

  /**
   * Keeps the bytes of an image a worker sent (Flamenco 3 workers send the image, not its path) as
   * the job's and the farm's copy, taken "from" `label`; the job's last output is then set to that
   * label, so the copy is served as the copy of a reported file is. No path is ever opened for it.
   */
  async storeUpload(jobId: string, label: string, bytes: Buffer): Promise<void> {
    if (!isId(jobId)) throw new NotFoundError(`job ${jobId} not found`);
    await mkdir(this.dir, { recursive: true });
    const jobFile = this.keptFile(jobId);
    await copyInto(Readable.from([bytes]), jobFile, label);
    await copyInto(createReadStream(jobFile), this.keptFile(FARM), label);
    this.copiedFrom.delete(jobId);
  }

  /** A reported path opened if it is below the job's output folders or the shared storage. */
  private async inspectReported(jobId: string | undefined, reported: string): Promise<Preview | { reason: string }> {
    const real = await allowedFile(reported, this.roots(jobId));
    if (!real) return { reason: NOT_SHOWN };
    return inspect(real, true);
  }

  /** The folders a job's images may come from, as paths of this machine. */
  private roots(jobId: string | undefined): Root[] {
    const roots: Root[] = [];
    const add = (start: string, folder: string) => {
      if (path.isAbsolute(start) && !start.includes('{')) roots.push({ start, folder });
    };
    const shared = path.resolve(this.sharedStorage());
    add(shared + path.sep, shared);
    const job = jobId && isId(jobId) ? this.repos.jobs.get(jobId) : undefined;
    if (!job) return roots;
    const vars = this.variables();
    const local = (p: string) => (vars ? vars.pathFor(p, OWN_PLATFORM, 'workers') : p);
    // A submitter without the token writes these settings: a relative one would be taken from
    // serve's own working folder, and a root ("/" leaves "" once its separator is trimmed) would
    // be every file on the disk. Neither names a render's folder, so neither counts.
    const absolute = (p: string) => (path.isAbsolute(p) && path.dirname(path.resolve(p)) !== path.resolve(p) ? path.resolve(p) : undefined);
    for (const loc of outputLocations(job.settings)) {
      if (loc.dir !== undefined) {
        const dir = absolute(local(loc.dir));
        if (dir) add(dir + path.sep, dir);
      } else if (loc.prefix !== undefined) {
        const start = absolute(local(loc.prefix));
        if (start) add(start, path.dirname(start));
      }
    }
    return roots;
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

/**
 * The file's real path if it lies below one of the roots with no symbolic link between the root's
 * folder and it (the folder itself may be one, e.g. a mount point), else undefined.
 */
async function allowedFile(file: string, roots: Root[]): Promise<string | undefined> {
  if (!path.isAbsolute(file)) return undefined;
  const resolved = path.resolve(file);
  for (const root of roots) {
    if (!resolved.startsWith(root.start)) continue;
    try {
      const [realFolder, realFile] = await Promise.all([realpath(root.folder), realpath(resolved)]);
      if (realFile === path.join(realFolder, path.relative(root.folder, resolved))) return realFile;
    } catch {
      // Missing or unreadable: not shown, for the same reason as any other.
    }
  }
  return undefined;
}

/** Copies a stream into `file` through a temporary file of its own, with the reported path beside it. */
async function copyInto(from: NodeJS.ReadableStream, file: string, reported: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${++copies}.tmp`;
  try {
    await pipeline(from, createWriteStream(tmp, { mode: PRIVATE_FILE }));
    await writeFile(`${tmp}.path`, reported, { mode: PRIVATE_FILE });
    await rename(tmp, file);
    await rename(`${tmp}.path`, `${file}.path`);
  } finally {
    await Promise.all([rm(tmp, { force: true }), rm(`${tmp}.path`, { force: true })]);
  }
}

/** Copies made so far: each copy's temporary file has a name of its own. */
let copies = 0;

/**
 * The file opened if it is an image a browser can show, or why not. Workers name these paths,
 * so nothing here may wait on them: the file is opened on the thread pool and without blocking
 * (a named pipe would otherwise hold the open until someone writes to it), never through a
 * symbolic link, and only a regular file is read. `reported`: a worker named it, so a file that
 * cannot be opened or is not a regular file gets the one reason that tells nothing.
 */
async function inspect(file: string, reported = false): Promise<Preview | { reason: string }> {
  let handle: FileHandle | undefined;
  try {
    handle = await openFile(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW);
    const st = await handle.stat();
    if (!st.isFile()) return { reason: reported ? NOT_SHOWN : 'it is not a regular file' };
    if (st.size > PREVIEW_MAX_BYTES) return { reason: `it is larger than ${PREVIEW_MAX_BYTES / 1024 / 1024} MiB` };
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    const contentType = imageType(head.subarray(0, bytesRead));
    if (!contentType) return { reason: describe(head.subarray(0, bytesRead)) };
    const version = `${st.dev.toString(36)}-${st.ino.toString(36)}-${st.size.toString(36)}-${Math.round(st.mtimeMs).toString(36)}`;
    const preview: Preview = { contentType, size: st.size, handle, version };
    handle = undefined;
    return preview;
  } catch (err) {
    return { reason: reported ? NOT_SHOWN : `the manager cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  } finally {
    await handle?.close();
  }
}
