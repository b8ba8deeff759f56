// `flamenco-mgr backup <file>`: a consistent copy of the farm's database, safe while serve runs
// (SQLite's online backup), so a sysadmin needs no sqlite3 tool on the manager machine.
import { existsSync } from 'node:fs';
import { io } from './io';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultConfig } from '../core/support/config';
import { ValidationError } from '../core/support/errors';
import { common, type CommonOptions, openManager } from './context';
import { printJson } from './format';
import { counted } from '../core/support/plural';

export function backupCommand(program: Command): void {
  common(program.command('backup <file>').description('write a consistent copy of the database to a new file (safe while serve runs)'), true, false).action(
    async (file: string, opts: CommonOptions) => {
      const target = path.resolve(file);
      if (existsSync(target)) throw new ValidationError(`${target} already exists; choose a new file name`);
      if (!existsSync(path.dirname(target))) throw new ValidationError(`${path.dirname(target)}: no such directory`);
      // A copy of the database needs none of serve's settings: the rescue tool works whatever their state.
      const o = openManager(opts, { config: defaultConfig() });
      try {
        const r = await o.db.backup(target);
        if (opts.json) printJson({ file: target, pages: r.totalPages });
        else io.out(`wrote ${target} (${counted(r.totalPages, 'page')})\n`);
      } finally {
        o.close();
      }
    },
  );
}
