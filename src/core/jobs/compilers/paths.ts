// Path helpers for the Blender compilers. Paths in job settings belong to the workers' platforms,
// not to the manager's, so node:path cannot be used: a job may hold `S:\render\######` or
// `{render}/shot12/######`. Both separators are understood and the one found is kept.
import { ValidationError } from '../../support/errors';

export interface SplitPath {
  /** Everything before the last separator: the directory. */
  dir: string;
  /** Everything after it; empty when the path ends in a separator. */
  name: string;
  /** The separator that was found, reused when joining. */
  sep: string;
}

/**
 * Splits an output path into directory and file pattern. A path without a directory, or one
 * directly in a root (`/######`, `S:\######`), is refused: the compilers place sibling
 * directories next to the output directory, which a root does not have.
 */
export function splitOutputPath(path: string, field: string): SplitPath {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  // Doubled separators ("/render//######") still mean the directory "/render".
  const dir = i < 0 ? '' : path.slice(0, i).replace(/[/\\]+$/, '');
  if (dir === '' || /^[A-Za-z]:$/.test(dir)) {
    throw new ValidationError(`${field}: "${path}" must name a directory below a root, e.g. "/render/shot12/frames/######"`);
  }
  return { dir, name: path.slice(i + 1), sep: path[i]! };
}

export function join(dir: string, sep: string, ...names: string[]): string {
  return [dir, ...names].join(sep);
}

/** The last part of a path without its extension: `/x/shot12.flamenco.blend` → `shot12`. */
export function blendStem(filepath: string): string {
  const base = filepath.slice(Math.max(filepath.lastIndexOf('/'), filepath.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  // Files packed for the farm are named `<name>.flamenco.blend`; the video is named after <name>.
  return (dot > 0 ? base.slice(0, dot) : base).replace('.flamenco', '');
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * `YYYY-MM-DD_HHMMSS` of the submission time, in UTC so that the same job compiles to the same
 * paths whatever the manager's time zone.
 */
export function stamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}_${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** `YYYY_MM_DD` (UTC), the date prefix of a rendered video's file name. */
export function datePrefix(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}`;
}

/** The directory Blender renders into before `move-to-final`: `<dir>__intermediate-<stamp>`. */
export function intermediateDir(outputDir: string, now: number): string {
  return `${outputDir}__intermediate-${stamp(now)}`;
}

/**
 * Where a job writes its rendered images, as the job's settings say (paths of the workers'
 * platform, possibly with {placeholders}): `dir` entries are folders whose files count,
 * `prefix` entries a name start (the intermediate folders beside an output folder). The
 * last-rendered image of a job is only taken from below these (or the shared storage).
 */
export function outputLocations(settings: Record<string, unknown>): { dir?: string; prefix?: string }[] {
  const out: { dir?: string; prefix?: string }[] = [];
  if (typeof settings.render_output_root === 'string' && settings.render_output_root !== '') out.push({ dir: settings.render_output_root.replace(/[/\\]+$/, '') });
  for (const key of ['render_output', 'render_output_path']) {
    const v = settings[key];
    if (typeof v !== 'string') continue;
    const i = Math.max(v.lastIndexOf('/'), v.lastIndexOf('\\'));
    const dir = i < 0 ? '' : v.slice(0, i).replace(/[/\\]+$/, '');
    if (dir === '') continue;
    out.push({ dir }, { prefix: `${dir}__intermediate-` });
  }
  return out;
}
