import { describe, expect, it } from 'vitest';
import { allOnOneRow, firstLine } from '../../../src/core/support/one-line';

describe('activities on one row', () => {
  it('a table row shows the first line, with an ellipsis when more follow', () => {
    expect(firstLine('Task completed')).toBe('Task completed');
    expect(firstLine('\n  Traceback (most recent call last):\n  File "x"\nValueError: y\n')).toBe('Traceback (most recent call last): …');
    expect(firstLine('')).toBe('');
  });

  it('a wide table shows every line on its row', () => {
    expect(allOnOneRow('Traceback:\r\n  File "x"\n\nValueError: y')).toBe('Traceback: ⏎ File "x" ⏎ ValueError: y');
  });
});
