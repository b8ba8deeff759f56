// Which farm a command works on: the data directory here, or with --manager (FLAMENCO_MGR_URL) a
// manager elsewhere over its HTTP API, with the admin token from --token, FLAMENCO_MGR_TOKEN, or a
// token file (--token-file, FLAMENCO_MGR_TOKEN_FILE, or ~/.config/flamenco-mgr/token).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UnauthorizedError, ValidationError } from '../../core/support/errors';
import { type CommonOptions, fsProblem, NoDatabaseError, openManager } from '../context';
import type { FarmClient } from './client';
import { LocalClient } from './local';
import { RemoteClient } from './remote';

export const URL_ENV = 'FLAMENCO_MGR_URL';
export const TOKEN_ENV = 'FLAMENCO_MGR_TOKEN';
export const TOKEN_FILE_ENV = 'FLAMENCO_MGR_TOKEN_FILE';

export interface RemoteOptions {
  manager?: string;
  token?: string;
  tokenFile?: string;
}

/** ~/.config/flamenco-mgr/token (or under $XDG_CONFIG_HOME): read when it exists. */
export function defaultTokenFile(): string {
  return path.join(process.env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'flamenco-mgr', 'token');
}

function readToken(file: string, required: boolean): string | undefined {
  try {
    const t = readFileSync(file, 'utf8').trim();
    if (t === '') throw new ValidationError(`token file ${file} is empty`);
    return t;
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ValidationError(`cannot read the token file ${file}: ${fsProblem(err)}`);
  }
}

/**
 * The manager URL the options or the environment name, if any. A --data-dir given on the command
 * line beats $FLAMENCO_MGR_URL (flags beat the environment); with --manager it is refused.
 */
export function managerUrl(opts: RemoteOptions & { dataDir?: string }): string | undefined {
  return opts.manager ?? (opts.dataDir === undefined ? process.env[URL_ENV] || undefined : undefined);
}

/** The admin token for remote mode, from the options, the environment or a token file. */
export async function remoteToken(opts: RemoteOptions): Promise<string | undefined> {
  const explicitFile = opts.tokenFile ?? (process.env[TOKEN_FILE_ENV] || undefined);
  return opts.token ?? (process.env[TOKEN_ENV] || undefined) ?? (explicitFile !== undefined ? readToken(explicitFile, true) : readToken(defaultTokenFile(), false));
}

/** Opens the farm the options name; close it when done (withClient does). */
export async function openClient(opts: CommonOptions & RemoteOptions): Promise<FarmClient> {
  const url = managerUrl(opts);
  if (url === undefined) {
    try {
      const o = openManager(opts);
      return new LocalClient(o.manager, o.close);
    } catch (err) {
      // On a workstation the default ./flamenco-data is not there: say how to reach the manager instead.
      if (err instanceof NoDatabaseError && opts.dataDir === undefined) {
        throw new NoDatabaseError(`${err.message}; on another machine than the manager's, give --manager <url> (or $${URL_ENV}) and the admin token`);
      }
      throw err;
    }
  }
  if (opts.dataDir !== undefined) throw new ValidationError("give --data-dir (this machine's farm) or --manager (a manager over HTTP), not both");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`--manager: "${url}" is not a URL (e.g. http://manager:8080)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ValidationError(`--manager: "${url}" is not an http:// or https:// URL`);
  const token = await remoteToken(opts);
  if (token === undefined) {
    throw new UnauthorizedError(`no admin token for ${url}: give --token, $${TOKEN_ENV}, --token-file or put it in ${defaultTokenFile()}`);
  }
  const client = new RemoteClient(parsed.href, token);
  await client.connect();
  return client;
}

/** Runs fn on the farm the options name, closing it afterwards. */
export async function withClient<T>(opts: CommonOptions & RemoteOptions, fn: (c: FarmClient) => Promise<T>): Promise<T> {
  const c = await openClient(opts);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
