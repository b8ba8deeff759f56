// What every subcommand needs: the data directory, the database, a manager on it.
import path from 'node:path';
import type { Command } from 'commander';
import { Manager } from '../core/manager';
import type { ManagerConfig } from '../core/config';
import type { Logger } from '../core/logger';
import { openDatabase, type DB } from '../db/open';

export const DEFAULT_DATA_DIR = './flamenco-data';
export const DATA_DIR_ENV = 'FLAMENCO_MGR_DATA_DIR';

export interface CommonOptions {
  dataDir?: string;
  json?: boolean;
}

export function resolveDataDir(opt: string | undefined): string {
  return path.resolve(opt ?? process.env[DATA_DIR_ENV] ?? DEFAULT_DATA_DIR);
}

/** Adds --data-dir and --json to a subcommand. */
export function common(cmd: Command, json = true): Command {
  cmd.option('--data-dir <dir>', `data directory (default: $${DATA_DIR_ENV} or ${DEFAULT_DATA_DIR})`);
  if (json) cmd.option('--json', 'print JSON instead of a table');
  return cmd;
}

export interface Opened {
  db: DB;
  manager: Manager;
  dataDir: string;
  close(): void;
}

export function openManager(opts: CommonOptions, extra: { config?: ManagerConfig; logger?: Logger } = {}): Opened {
  const dataDir = resolveDataDir(opts.dataDir);
  const db = openDatabase(dataDir);
  const manager = new Manager({ db, dataDir, ...extra });
  return { db, manager, dataDir, close: () => db.close() };
}

/** Runs fn with a manager opened on the data directory, closing the database afterwards. */
export function withManager<T>(opts: CommonOptions, fn: (o: Opened) => T): T {
  const o = openManager(opts);
  try {
    return fn(o);
  } finally {
    o.close();
  }
}
