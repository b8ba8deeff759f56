// `flamenco-mgr backup <dir>` and `restore <dir>`: a complete backup (the database, safe while
// serve runs, with the task logs and the admin token) and putting it back. Both read and write
// the data directory itself, so they run on the manager's machine (serve/backup.ts).
import path from 'node:path';
import { type Command, Option } from 'commander';
import { defaultConfig } from '../core/support/config';
import { ValidationError } from '../core/support/errors';
import { restoreBackup, writeBackup } from '../serve/backup';
import { managerUrl } from './client/connect';
import { common, type CommonOptions, openManager, resolveDataDir } from './context';
import { printJson } from './format';
import { counted } from '../core/support/plural';
import { io } from './io';

/** --manager (and $FLAMENCO_MGR_URL) are taken only to say where these commands run. */
function refuseRemote(cmd: Command, name: string): Command {
  return cmd.addOption(new Option('--manager <url>').hideHelp()).hook('preAction', (c) => {
    if (managerUrl(c.opts()) !== undefined) {
      throw new ValidationError(`${name} reads the data directory itself: run it on the manager's machine (with --data-dir), not with a manager URL`);
    }
  });
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export function backupCommand(program: Command): void {
  const backup = program
    .command('backup <dir>')
    .description('write a complete backup into a new directory: the database (safe while serve runs), the task logs and the admin token')
    .addHelpText('after', '\nRestore it with \'flamenco-mgr restore <dir> --data-dir <new data directory>\'. See docs/running.md, "Backup and restore".');
  common(refuseRemote(backup, 'backup'), { remote: false }).action(async (dir: string, opts: CommonOptions) => {
    const target = path.resolve(dir);
    // A copy of the database needs none of serve's settings: the rescue tool works whatever their state.
    const o = openManager(opts, { config: defaultConfig() });
    try {
      const r = await writeBackup(o.db, o.dataDir, target);
      if (opts.json) return printJson(r);
      io.out(
        `wrote ${target}: the database (${counted(r.pages, 'page')}), ${counted(r.task_logs.files, 'task log file')} (${mib(r.task_logs.bytes)})${r.admin_token ? ', the admin token' : ''}\n`,
      );
    } finally {
      o.close();
    }
  });

  const restore = program.command('restore <dir>').description("put a backup made by 'backup' into a data directory that holds no database (stop serve first)");
  common(refuseRemote(restore, 'restore'), { remote: false }).action(async (dir: string, opts: CommonOptions) => {
    const dataDir = resolveDataDir(opts.dataDir);
    const r = restoreBackup(path.resolve(dir), dataDir);
    if (opts.json) return printJson(r);
    const kept = r.task_logs.kept > 0 ? ` (${r.task_logs.kept} already there, kept)` : '';
    io.out(
      `restored ${r.from} into ${dataDir}: the database, ${counted(r.task_logs.files, 'task log file')}${kept}${r.admin_token ? ', the admin token' : ''}; start serve on it\n`,
    );
  });
}
