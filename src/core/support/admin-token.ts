// The admin token: made once per data directory, kept in a 0600 file, required by admin HTTP calls.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE } from './file-modes';

export const ADMIN_TOKEN_FILE = 'admin-token';

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

/** Returns the data directory's admin token, creating it on first use. */
export function ensureAdminToken(dataDir: string): string {
  const existing = readAdminToken(dataDir);
  if (existing) return existing;
  const token = randomBytes(24).toString('base64url');
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

/** Constant-time comparison of a presented token with the real one. */
export function tokenMatches(presented: string, real: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(real).digest();
  return timingSafeEqual(a, b);
}
