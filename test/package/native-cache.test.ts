// How the single executable keeps its SQLite addon on disk: once per content hash, never loading a
// damaged or foreign file, falling back to other directories when one is unusable.
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheDirs, extractToCache } from '../../src/db/native';

const bytes = Buffer.from('pretend this is a shared library ' + 'x'.repeat(1000));
const hash = createHash('sha256').update(bytes).digest('hex');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'flamenco-mgr-native-test-'));
  dirs.push(d);
  return d;
}

describe('the addon cache', () => {
  it('writes the addon once, into a directory named by its hash, private to the user', () => {
    const base = path.join(temp(), 'cache');
    const p = extractToCache(bytes, [base]);
    expect(p).toBe(path.join(base, hash.slice(0, 16), 'better_sqlite3.node'));
    expect(readFileSync(p).equals(bytes)).toBe(true);
    expect(statSync(base).mode & 0o077).toBe(0);
    expect(statSync(path.dirname(p)).mode & 0o077).toBe(0);
    const first = statSync(p);
    expect(extractToCache(bytes, [base])).toBe(p);
    const again = statSync(p);
    expect([again.ino, again.mtimeMs]).toEqual([first.ino, first.mtimeMs]);
  });

  it('replaces a damaged copy', () => {
    const base = temp();
    const p = extractToCache(bytes, [base]);
    writeFileSync(p, bytes.subarray(0, 100));
    expect(extractToCache(bytes, [base])).toBe(p);
    expect(readFileSync(p).equals(bytes)).toBe(true);
  });

  it('replaces a link planted in its place without touching what it points to', () => {
    const base = temp();
    const elsewhere = path.join(temp(), 'other.node');
    writeFileSync(elsewhere, bytes); // even the right content: a link is not used
    const p = path.join(base, hash.slice(0, 16), 'better_sqlite3.node');
    mkdirSync(path.dirname(p), { recursive: true, mode: 0o700 });
    symlinkSync(elsewhere, p);
    expect(extractToCache(bytes, [base])).toBe(p);
    expect(lstatSync(p).isSymbolicLink()).toBe(false);
    expect(readFileSync(p).equals(bytes)).toBe(true);
    expect(existsSync(elsewhere)).toBe(true);
  });

  it('replaces a directory in its place', () => {
    const base = temp();
    const p = path.join(base, hash.slice(0, 16), 'better_sqlite3.node');
    mkdirSync(path.join(p, 'junk'), { recursive: true });
    expect(extractToCache(bytes, [base])).toBe(p);
    expect(readFileSync(p).equals(bytes)).toBe(true);
  });

  it('tightens its own directory when others may write to it', () => {
    const base = temp();
    chmodSync(base, 0o777);
    extractToCache(bytes, [base]);
    expect(statSync(base).mode & 0o022).toBe(0);
  });

  it.skipIf(!isRoot)("does not use another user's directory, nor a file of another user", () => {
    const foreign = temp();
    chownSync(foreign, 65534, 65534);
    const mine = temp();
    expect(extractToCache(bytes, [foreign, mine])).toBe(path.join(mine, hash.slice(0, 16), 'better_sqlite3.node'));
    expect(existsSync(path.join(foreign, hash.slice(0, 16)))).toBe(false);

    const p = extractToCache(bytes, [mine]);
    chownSync(p, 65534, 65534);
    expect(extractToCache(bytes, [mine])).toBe(p);
    expect(statSync(p).uid).toBe(0);
  });

  it('falls back to the next directory when one cannot be written', () => {
    const file = path.join(temp(), 'a-file');
    writeFileSync(file, '');
    const next = temp();
    expect(extractToCache(bytes, [path.join(file, 'cache'), next])).toBe(path.join(next, hash.slice(0, 16), 'better_sqlite3.node'));
  });

  it('falls back to the next directory when the addon cannot be loaded from one', () => {
    const [a, b] = [temp(), temp()];
    const p = extractToCache(bytes, [a, b], (f) => {
      if (f.startsWith(a)) throw new Error('failed to map segment from shared object');
    });
    expect(p.startsWith(b)).toBe(true);
  });

  it('uses a fresh private temp directory when every other place is unusable', () => {
    const file = path.join(temp(), 'a-file');
    writeFileSync(file, '');
    const tmp = temp();
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const p = extractToCache(bytes, [path.join(file, 'x'), path.join(file, 'y')]);
      expect(path.dirname(path.dirname(path.dirname(p)))).toBe(tmp);
      expect(path.basename(path.dirname(path.dirname(p)))).toMatch(/^flamenco-mgr-native-/);
      expect(readFileSync(p).equals(bytes)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it('says what went wrong where when nothing works', () => {
    const dir = temp();
    expect(() =>
      extractToCache(bytes, [dir], () => {
        throw new Error('failed to map segment from shared object');
      }),
    ).toThrow(/cannot write the SQLite addon[\s\S]*failed to map segment/);
  });

  it('looks in $XDG_CACHE_HOME, then ~/.cache, then a per-user temp directory', () => {
    const saved = { xdg: process.env.XDG_CACHE_HOME, home: process.env.HOME, tmp: process.env.TMPDIR };
    try {
      process.env.XDG_CACHE_HOME = '/x/cache';
      process.env.HOME = '/home/someone';
      process.env.TMPDIR = '/t';
      const uid = process.getuid?.() ?? 'user';
      expect(cacheDirs()).toEqual(['/x/cache/flamenco-mgr', '/home/someone/.cache/flamenco-mgr', `/t/flamenco-mgr-native-${uid}`]);
      delete process.env.XDG_CACHE_HOME;
      expect(cacheDirs()[0]).toBe('/home/someone/.cache/flamenco-mgr');
    } finally {
      for (const [k, v] of [
        ['XDG_CACHE_HOME', saved.xdg],
        ['HOME', saved.home],
        ['TMPDIR', saved.tmp],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
