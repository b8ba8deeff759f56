// Which errors are storage failures (answered 503 / exit 5 with what is wrong) and which are not.
import { describe, expect, it } from 'vitest';
import { storageProblem } from '../../../src/core/support/errors';

const withCode = (code: string) => Object.assign(new Error('x'), { code });

describe('storageProblem', () => {
  it.each([
    ['SQLITE_FULL', 'the disk holding the database is full'],
    ['SQLITE_READONLY', 'the database is read-only'],
    ['SQLITE_READONLY_DBMOVED', 'the database is read-only'],
    ['SQLITE_IOERR_WRITE', 'the database could not be read or written (I/O error)'],
    ['ENOSPC', 'no space left on the device'],
    ['EDQUOT', 'the disk quota is exhausted'],
    ['EMFILE', 'the manager has too many open files'],
    ['ENFILE', 'the system has too many open files'],
    ['EROFS', 'the file system is read-only'],
  ])('%s is a storage failure', (code, words) => {
    expect(storageProblem(withCode(code))).toMatch(new RegExp(`^${words.replace(/[()]/g, '\\$&')}`));
  });

  it.each(['SQLITE_BUSY', 'SQLITE_CONSTRAINT_UNIQUE', 'ENOENT', 'constructor', '__proto__', 'toString'])('%s is not', (code) => {
    expect(storageProblem(withCode(code))).toBeUndefined();
  });

  it('ignores values without a string code', () => {
    for (const v of [undefined, null, 42, 'ENOSPC', new Error('ENOSPC'), { code: 28 }]) expect(storageProblem(v)).toBeUndefined();
  });
});
