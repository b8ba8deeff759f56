// What every subcommand needs: the data directory, the database, a manager on it.
import type { Command } from 'commander';
import { Manager } from '../core/manager';
import type { ManagerConfig } from '../core/support/config';
import type { Logger } from '../core/support/logger';
import type { DB } from '../db/open';
import { loadEffectiveConfig } from '../serve/config-file';
import { DATA_DIR_ENV, DEFAULT_DATA_DIR, openFarmDatabase, requireDatabase, resolveDataDir } from '../serve/data-dir';

export { DATA_DIR_ENV, DataDirError, DEFAULT_DATA_DIR, ensureDataDir, fsProblem, NoDatabaseError, requireDatabase, resolveDataDir } from '../serve/data-dir';

export interface CommonOptions {
  dataDir?: string;
  json?: boolean;
  manager?: string;
  token?: string;
  tokenFile?: string;
}

/** Adds --data-dir and --json to a subcommand, and with `remote` the options of remote mode. */
/**
 * The options most commands take: `--data-dir`; `--json` unless `json: false`; `--manager` and the
 * token options unless `remote: false` (by default a command works remotely when it prints JSON).
 */
export function common(cmd: Command, opts: { json?: boolean; remote?: boolean } = {}): Command {
  const json = opts.json ?? true;
  const remote = opts.remote ?? json;
  cmd.option('--data-dir <dir>', `data directory (default: $${DATA_DIR_ENV} or ${DEFAULT_DATA_DIR})`);
  if (json) cmd.option('--json', 'print JSON instead of a table');
  if (remote) {
    cmd
      .option('--manager <url>', 'work on the manager at this URL over its HTTP API (default: $FLAMENCO_MGR_URL)')
      .option('--token <token>', "the manager's admin token (default: $FLAMENCO_MGR_TOKEN)")
      .option('--token-file <file>', 'read the admin token from this file (default: $FLAMENCO_MGR_TOKEN_FILE or ~/.config/flamenco-mgr/token)');
  }
  return cmd;
}

export interface Opened {
  db: DB;
  manager: Manager;
  dataDir: string;
  close(): void;
}

/**
 * Opens the data directory's manager, with the configuration the directory's `serve` runs with
 * (its thresholds, its two-way variables): a command acts on the farm as serve would. Commands
 * never create a database: on a directory without one it is a mistyped --data-dir.
 */
export function openManager(opts: CommonOptions, extra: { config?: ManagerConfig; logger?: Logger } = {}): Opened {
  const dataDir = resolveDataDir(opts.dataDir);
  requireDatabase(dataDir);
  const config = extra.config ?? loadEffectiveConfig(dataDir);
  const db = openFarmDatabase(dataDir);
  let manager: Manager;
  try {
    manager = new Manager({ db, dataDir, config, logger: extra.logger });
  } catch (err) {
    db.close();
    throw err;
  }
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
