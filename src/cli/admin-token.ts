import type { Command } from 'commander';
import { ensureAdminToken } from '../core/admin-token';
import { common, type CommonOptions, resolveDataDir } from './context';
import { mkdirSync } from 'node:fs';

export function adminTokenCommand(program: Command): void {
  common(program.command('admin-token').description('print the admin token for the HTTP admin endpoints (made on first use)'), false).action(
    (opts: CommonOptions) => {
      const dir = resolveDataDir(opts.dataDir);
      mkdirSync(dir, { recursive: true });
      process.stdout.write(ensureAdminToken(dir) + '\n');
    },
  );
}
