// The admin token: made once per data directory, kept in a 0600 file, required by admin HTTP
// calls. The file is the one source of truth: `admin-token --rotate` replaces it, and a running
// serve reads it again when it changed (adminTokenSource), so the new token works at once and the
// old one is refused, without a restart.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE } from './file-modes';

export const ADMIN_TOKEN_FILE = 'admin-token';

/** The admin token itself, or where to get the current one (serve: the file, re-read when it changed). */
export type AdminTokenRef = string | (() => string);

export function adminTokenPath(dataDir: string): string {
  return path.join(dataDir, ADMIN_TOKEN_FILE);
}

export function readAdminToken(dataDir: string): string | undefined {
  try {
    const t = readFileSync(adminTokenPath(dataDir), 'utf8').trim();
    return t === '' ? undefined : t;
  } catch {
    return undefined;
  }
}

function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Returns the data directory's admin token, creating it on first use. */
export function ensureAdminToken(dataDir: string): string {
  const existing = readAdminToken(dataDir);
  if (existing) return existing;
  const token = newToken();
  const file = adminTokenPath(dataDir);
  try {
    writeFileSync(file, token + '\n', { mode: PRIVATE_FILE, flag: 'wx' });
  } catch {
    // Another process made it first: use theirs.
    return readAdminToken(dataDir) ?? token;
  }
  chmodSync(file, PRIVATE_FILE);
  return token;
}

/**
 * Replaces the admin token with a new one and returns it. The file is replaced in one step (a
 * new file renamed over the old), so a serve reading it sees the old token or the new one.
 */
export function rotateAdminToken(dataDir: string): string {
  const token = newToken();
  const file = adminTokenPath(dataDir);
  const part = `${file}.${process.pid}.new`;
  try {
    writeFileSync(part, token + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(part, 0o600);
    renameSync(part, file);
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  }
  return token;
}

/**
 * The current admin token for a running serve: the file is looked at (one stat) on each use and
 * read again when it is another file or changed; a deleted file is made anew, as at the first
 * start. A look costs a few microseconds, and only requests that present a token pay it.
 */
export function adminTokenSource(dataDir: string): () => string {
  const file = adminTokenPath(dataDir);
  let token = ensureAdminToken(dataDir);
  let seen = identity(file);
  return () => {
    const now = identity(file);
    if (now !== seen || now === undefined) {
      token = ensureAdminToken(dataDir);
      seen = identity(file);
    }
    return token;
  };
}

function identity(file: string): string | undefined {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return undefined;
  }
}

/** Constant-time comparison of a presented token with the real one. */
export function tokenMatches(presented: string, real: AdminTokenRef): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256')
    .update(typeof real === 'string' ? real : real())
    .digest();
  return timingSafeEqual(a, b);
}
