// Frame ranges: "1-10,20,30-40", also in Blender's form "1..10" (as the Blender add-on may send
// them). Strict: every bad part is named in the error.
import { UnprocessableError, ValidationError } from '../support/errors';
import { MAX_FRAMES_PER_SUBMISSION } from '../support/limits';

export const MAX_FRAMES = MAX_FRAMES_PER_SUBMISSION;

export function parseFrames(text: unknown, field = 'frames'): number[] {
  if (typeof text !== 'string' && typeof text !== 'number') throw new ValidationError(`${field}: must be a frame range string such as "1-10,20"`);
  const src = String(text);
  if (src.trim() === '') throw new ValidationError(`${field}: "${src}" is not a frame range`);
  const parts: [number, number][] = [];
  for (const raw of src.split(',')) {
    const part = raw.trim();
    const m = /^(\d+)(?:\s*(?:-|\.\.)\s*(\d+))?$/.exec(part);
    if (!m) throw new ValidationError(`${field}: "${part}" in "${src}" is not a frame or a range a-b`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new ValidationError(`${field}: "${part}" in "${src}" ends before it starts`);
    parts.push([a, b]);
  }
  // Merge overlapping parts first, so duplicates do not count towards the limit and nothing is
  // expanded before the size is known.
  parts.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  let count = 0;
  for (const [a, b] of parts) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1] + 1) {
      if (b > last[1]) {
        count += b - last[1];
        last[1] = b;
      }
    } else {
      merged.push([a, b]);
      count += b - a + 1;
    }
    if (count > MAX_FRAMES) {
      throw new UnprocessableError(`${field}: "${src.slice(0, 100)}" has more than ${MAX_FRAMES} frames, the most one submission may name; submit the range in parts`);
    }
  }
  const frames: number[] = [];
  for (const [a, b] of merged) for (let f = a; f <= b; f++) frames.push(f);
  return frames;
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
