import type { Command } from 'commander';
import { io } from './io';
import { printJson } from './format';
import { ensureAdminToken, rotateAdminToken } from '../core/support/admin-token';
import { ValidationError } from '../core/support/errors';
import { common, type CommonOptions, requireDatabase, resolveDataDir } from './context';
import { managerUrl, remoteToken, withClient } from './client/connect';

export function adminTokenCommand(program: Command): void {
  common(
    program
      .command('admin-token')
      .description('print the admin token for the HTTP admin endpoints (made on first use)')
      .option('--rotate', 'replace it with a new token: a running serve takes the new one at once and refuses the old one')
      .addHelpText('after', "\nThe token lives in the data directory's admin-token file (mode 0600); serve reads it again when it changes."),
  ).action(async (opts: CommonOptions & { rotate?: boolean }) => {
    if (managerUrl(opts) !== undefined) {
      if (opts.rotate)
        throw new ValidationError("admin-token --rotate writes the data directory's token file: run it on the manager's machine (with --data-dir), not with a manager URL");
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
    const token = opts.rotate ? rotateAdminToken(dir) : ensureAdminToken(dir);
    if (opts.json) printJson({ token });
    else io.out(token + '\n');
    if (opts.rotate) io.err('the old token is refused from now on: give the new one to the tools and workstations that used it (e.g. ~/.config/flamenco-mgr/token)\n');
  });
}
