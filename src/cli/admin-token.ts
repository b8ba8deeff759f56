import type { Command } from 'commander';
import { io } from './io';
import { printJson } from './format';
import { ensureAdminToken } from '../core/support/admin-token';
import { common, type CommonOptions, requireDatabase, resolveDataDir } from './context';
import { managerUrl, remoteToken, withClient } from './client/connect';

export function adminTokenCommand(program: Command): void {
  common(program.command('admin-token').description('print the admin token for the HTTP admin endpoints (made on first use)')).action(
    async (opts: CommonOptions) => {
      if (managerUrl(opts) !== undefined) {
        // Remote: the token is the one given; connecting checks that the manager takes it.
        await withClient(opts, async () => undefined);
        const token = (await remoteToken(opts))!;
        if (opts.json) printJson({ token });
        else io.out(token + '\n');
        return;
      }
      const dir = resolveDataDir(opts.dataDir);
      // Like every command but serve: a token in a directory without a farm would open nothing.
      requireDatabase(dir);
      const token = ensureAdminToken(dir);
      if (opts.json) printJson({ token });
      else io.out(token + '\n');
    },
  );
}
