// Frame ranges: parsing, chunking, chunk names and Blender's form.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/support/errors';
import { blenderFrames, chunk, chunkName, MAX_FRAMES, parseFrames } from '../../../src/core/jobs/frames';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseFrames', () => {
  it('parses single frames and inclusive ranges', () => {
    expect(parseFrames('1-10,20,30-32')).toEqual([...range(1, 10), 20, 30, 31, 32]);
    expect(parseFrames('7')).toEqual([7]);
    expect(parseFrames('5-5')).toEqual([5]);
    expect(parseFrames(12)).toEqual([12]);
  });

  it('allows spaces around parts and around the dash', () => {
    expect(parseFrames(' 1 - 3 ,  5 ,7-8 ')).toEqual([1, 2, 3, 5, 7, 8]);
  });

  it('sorts and removes duplicates', () => {
    expect(parseFrames('8,1-5,3-7,2')).toEqual(range(1, 8));
    expect(parseFrames('4,4,4')).toEqual([4]);
  });

  it('accepts frame 0', () => {
    expect(parseFrames('0')).toEqual([0]);
    expect(parseFrames('0-2')).toEqual([0, 1, 2]);
  });

  for (const [text, part] of [
    ['1-x', '1-x'],
    ['1,,2', ''],
    ['1,2,abc', 'abc'],
    ['-1', '-1'],
    ['1--3', '1--3'],
    ['1-3-5', '1-3-5'],
    ['1.5', '1.5'],
    ['1;2', '1;2'],
    ['1-', '1-'],
  ]) {
    it(`names the bad part "${part}" of "${text}"`, () => {
      const err = errorOf(() => parseFrames(text, 'settings.frames'));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toContain(`settings.frames: "${part}"`);
    });
  }

  it('refuses a range that ends before it starts', () => {
    const err = errorOf(() => parseFrames('1-3,10-2'));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(/"10-2".*ends before it starts/);
  });

  it('refuses empty text and non-strings', () => {
    expect(() => parseFrames('')).toThrow(ValidationError);
    expect(() => parseFrames('   ')).toThrow(ValidationError);
    expect(() => parseFrames(null)).toThrow(/frames: must be a frame range/);
    expect(() => parseFrames(['1'])).toThrow(ValidationError);
  });

  it(`accepts exactly ${MAX_FRAMES} frames and refuses more`, () => {
    expect(MAX_FRAMES).toBe(100_000);
    expect(parseFrames('1-100000')).toHaveLength(100_000);
    expect(parseFrames('0-99999')).toHaveLength(100_000);
    expect(() => parseFrames('1-100001')).toThrow(/more than 100000 frames/);
    expect(() => parseFrames('1-50000,50001-100001')).toThrow(/more than 100000 frames/);
    expect(() => parseFrames('0-999999999999')).toThrow(/more than 100000 frames/);
  });

  it('counts frames after removing duplicates', () => {
    expect(parseFrames('1-60000,1-60000')).toHaveLength(60_000);
    expect(parseFrames('1-100000,' + Array.from({ length: 50 }, () => '1-100000').join(','))).toHaveLength(100_000);
  });
});

describe('chunks', () => {
  it('groups consecutive frames of the sorted list', () => {
    expect(chunk(range(1, 10), 3)).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]);
    expect(chunk([1, 2, 5, 9], 2)).toEqual([
      [1, 2],
      [5, 9],
    ]);
    expect(chunk([1, 2], 10)).toEqual([[1, 2]]);
  });

  it('names a chunk a-b for runs of three or more, a,b for two, a for one', () => {
    expect(chunkName(range(1, 10))).toBe('1-10');
    expect(chunkName([1, 2, 3])).toBe('1-3');
    expect(chunkName([4, 5])).toBe('4,5');
    expect(chunkName([7])).toBe('7');
    expect(chunkName([1, 2, 3, 5, 6, 8])).toBe('1-3,5,6,8');
  });

  it('gives Blender runs as a..b', () => {
    expect(blenderFrames(range(1, 10))).toBe('1..10');
    expect(blenderFrames([4, 5])).toBe('4,5');
    expect(blenderFrames([7])).toBe('7');
    expect(blenderFrames([0, 1, 2, 10, 12, 13, 14])).toBe('0..2,10,12..14');
  });
});
