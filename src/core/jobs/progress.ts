// How far a task is. Flamenco Worker 2.5 reports 0 % in every update, also the last one, so a
// completed task counts as 100 % and a render task's progress is read from Blender's own lines in
// the log the worker sends: `Fra:N …` while Blender renders frame N, `Saved: '…'` once it wrote it.
import type { Command } from '../../db/tasks-repo';
import type { TaskStatus } from '../support/statuses';

/** The progress every view shows: the stored one, except that a completed task is done. */
export function taskProgress(status: TaskStatus, stored: number): number {
  return status === 'completed' ? 100 : stored;
}

type Ranges = [number, number][];

/**
 * The frames a task renders, from the `frames` of its blender_render commands in Blender's form
 * ("1..10", "4,5", "7"), as ranges; undefined for a task that renders no frames. Ranges, never a
 * list of frames: a custom job may render 100 000 frames in one task.
 */
export function renderedFrames(commands: readonly Command[]): Ranges | undefined {
  const ranges: Ranges = [];
  for (const c of commands) {
    const frames = c.name === 'blender_render' ? c.settings.frames : undefined;
    if (typeof frames !== 'string' && typeof frames !== 'number') continue;
    for (const part of String(frames).split(',')) {
      const m = /^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$/.exec(part);
      if (!m) return undefined; // not a form we can follow: no derived progress rather than a wrong one
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (b >= a) ranges.push([a, b]);
    }
  }
  return ranges.length > 0 ? ranges : undefined;
}

/** How many of the ranges' frames come before frame n. */
function framesBefore(ranges: Ranges, n: number): number {
  let count = 0;
  for (const [a, b] of ranges) if (n > a) count += Math.min(b + 1, n) - a;
  return count;
}

const BLENDER_LINE = /\bFra:(\d+) |\bSaved: '/g;

/**
 * The percentage of the task's frames this piece of log shows done: Blender renders a task's
 * frames in order, so when it starts frame N the frames before N are done, and a `Saved:` line
 * after `Fra:N` means N is done too (several files saved for one frame still count once).
 * Undefined when the log shows nothing about frames. One pass of one regular expression.
 */
export function renderProgress(ranges: Ranges, log: string): number | undefined {
  const total = framesBefore(ranges, Number.MAX_SAFE_INTEGER);
  let current: number | undefined;
  let done: number | undefined;
  for (const m of log.matchAll(BLENDER_LINE)) {
    let count: number;
    if (m[1] !== undefined) {
      current = Number(m[1]);
      count = framesBefore(ranges, current);
    } else if (current !== undefined) {
      count = framesBefore(ranges, current + 1);
    } else {
      continue;
    }
    done = Math.max(done ?? 0, count);
  }
  return done === undefined ? undefined : Math.floor((100 * done) / total);
}
