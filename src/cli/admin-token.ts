import type { Command } from 'commander';
import { io } from './io';
import { printJson } from './format';
import { ensureAdminToken } from '../core/support/admin-token';
import { common, type CommonOptions, requireDatabase, resolveDataDir } from './context';

export function adminTokenCommand(program: Command): void {
  common(program.command('admin-token').description('print the admin token for the HTTP admin endpoints (made on first use)'), true, false).action(
    (opts: CommonOptions) => {
      const dir = resolveDataDir(opts.dataDir);
      // Like every command but serve: a token in a directory without a farm would open nothing.
      requireDatabase(dir);
      const token = ensureAdminToken(dir);
      if (opts.json) printJson({ token });
      else io.out(token + '\n');
    },
  );
}
