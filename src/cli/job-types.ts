// `flamenco-mgr job-types`: the job types this manager compiles and the settings each accepts,
// read from the compiler registry so the list can never drift from what submit checks.
import type { Command } from 'commander';
import { io } from './io';
import { COMPILERS, jobTypesDocument } from '../core/jobs/compilers/index';
import type { JobCompiler } from '../core/jobs/compilers/types';
import { common, type CommonOptions } from './context';
import { managerUrl, withClient } from './client/connect';
import { printJson, table } from './format';

function humanText(compilers: readonly JobCompiler[]): string {
  return compilers
    .map((c) => {
      const head = `${c.job_type}: ${c.description}`;
      if (c.settings.length === 0) return `${head}\n  (no settings)`;
      const rows = c.settings.map((s) => [s.name, s.type, s.required ? 'required' : s.default === undefined ? 'optional' : `default ${JSON.stringify(s.default)}`, s.description]);
      const body = table(['SETTING', 'TYPE', 'REQUIRED/DEFAULT', 'DESCRIPTION'], rows);
      return `${head}\n${body.replace(/^/gm, '  ')}`;
    })
    .join('\n\n');
}

export function jobTypesCommand(program: Command): void {
  // --data-dir is accepted like everywhere else but unused: the job types are built in. A remote
  // manager is connected to (which checks that it runs this version, so has these job types).
  common(program.command('job-types').description('list the job types and their settings')).action(async (opts: CommonOptions) => {
    if (managerUrl(opts) !== undefined) await withClient(opts, async () => undefined);
    if (opts.json) printJson(jobTypesDocument());
    else io.out(humanText(COMPILERS) + '\n');
  });
}
