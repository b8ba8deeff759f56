import { describe, expect, it } from 'vitest';
import { renderedFrames, renderProgress, taskProgress } from '../../../src/core/jobs/progress';

const render = (frames: string) => [{ name: 'blender_render', settings: { blender_cmd: '{blender}', filepath: '/p/x.blend', frames } }];
// As Flamenco Worker 2.5 sends them: its time stamp and the pid before Blender's line.
const fra = (n: number, what = 'Sample 3/4') => `2026-12-07T02:33:07.785600+00:00: pid=18587 > Fra:${n} Mem:8.68M (Peak 10.25M) | Time:00:00.00 | Scene, ViewLayer | ${what}`;
const saved = (n: number, ext = 'png') => `2026-12-07T02:33:08.000000+00:00: pid=18587 > Saved: '/render/shot/${String(n).padStart(6, '0')}.${ext}'`;

describe('task progress', () => {
  it('a completed task is done, whatever was stored', () => {
    expect(taskProgress('completed', 0)).toBe(100);
    expect(taskProgress('active', 40)).toBe(40);
    expect(taskProgress('failed', 40)).toBe(40);
  });

  it("reads the frames of a task's blender_render commands in Blender's form", () => {
    expect(renderedFrames(render('1..10'))).toEqual([[1, 10]]);
    expect(renderedFrames(render('4,5'))).toEqual([
      [4, 4],
      [5, 5],
    ]);
    expect(renderedFrames(render('7'))).toEqual([[7, 7]]);
    expect(renderedFrames([{ name: 'blender_render', settings: { python_expr: 'merge' } }])).toBeUndefined();
    expect(renderedFrames([{ name: 'exec', settings: { cmd: 'x', frames: '1..4' } }])).toBeUndefined();
    expect(renderedFrames(render('1-4'))).toBeUndefined();
  });

  it('counts the frames saved out of the chunk, once each, and the frames before the one rendering', () => {
    const frames = renderedFrames(render('1..4'))!;
    expect(renderProgress(frames, [fra(1), fra(1), 'other line'].join('\n'))).toBe(0);
    expect(renderProgress(frames, [fra(1), saved(1), saved(1, 'jpg')].join('\n'))).toBe(25);
    expect(renderProgress(frames, [fra(2), fra(3, 'Rendering')].join('\n'))).toBe(50);
    expect(renderProgress(frames, [fra(4), saved(4)].join('\n'))).toBe(100);
    expect(renderProgress(frames, 'no Blender here\nTask completed')).toBeUndefined();
    // A Saved line without the frame it belongs to in this piece of log says nothing.
    expect(renderProgress(frames, saved(3))).toBeUndefined();
  });

  it('follows chunks with gaps, and stays cheap on a long range', () => {
    const gaps = renderedFrames(render('4,5,9..10'))!;
    expect(renderProgress(gaps, [fra(5), saved(5)].join('\n'))).toBe(50);
    expect(renderProgress(gaps, fra(9))).toBe(50);
    const long = renderedFrames(render('1..100000'))!;
    expect(renderProgress(long, [fra(50_000), saved(50_000)].join('\n'))).toBe(50);
  });
});
