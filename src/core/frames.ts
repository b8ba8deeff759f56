// Frame ranges: "1-10,20,30-40". Strict: every bad part is named in the error.
import { ValidationError } from './errors';

export const MAX_FRAMES = 100_000;

export function parseFrames(text: unknown, field = 'frames'): number[] {
  if (typeof text !== 'string' && typeof text !== 'number') throw new ValidationError(`${field}: must be a frame range string such as "1-10,20"`);
  const src = String(text);
  if (src.trim() === '') throw new ValidationError(`${field}: "${src}" is not a frame range`);
  const frames = new Set<number>();
  for (const raw of src.split(',')) {
    const part = raw.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) throw new ValidationError(`${field}: "${part}" in "${src}" is not a frame or a range a-b`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new ValidationError(`${field}: "${part}" in "${src}" ends before it starts`);
    if (b - a + 1 + frames.size > MAX_FRAMES) throw new ValidationError(`${field}: "${src}" has more than ${MAX_FRAMES} frames`);
    for (let f = a; f <= b; f++) frames.add(f);
  }
  return [...frames].sort((x, y) => x - y);
}

/** Consecutive groups of `size` frames of a sorted list. */
export function chunk(frames: number[], size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < frames.length; i += size) out.push(frames.slice(i, i + size));
  return out;
}

/** Splits a sorted list into runs of consecutive frames. */
function runs(frames: number[]): number[][] {
  const out: number[][] = [];
  for (const f of frames) {
    const last = out[out.length - 1];
    if (last && f === last[last.length - 1]! + 1) last.push(f);
    else out.push([f]);
  }
  return out;
}

/** A chunk's name part: "1-10" for runs of three or more, "4,5" for two, "7" for one. */
export function chunkName(frames: number[]): string {
  return runs(frames)
    .map((r) => (r.length >= 3 ? `${r[0]}-${r[r.length - 1]}` : r.join(',')))
    .join(',');
}

/** Blender's form: "1..10" for runs of three or more. */
export function blenderFrames(frames: number[]): string {
  return runs(frames)
    .map((r) => (r.length >= 3 ? `${r[0]}..${r[r.length - 1]}` : r.join(',')))
    .join(',');
}
