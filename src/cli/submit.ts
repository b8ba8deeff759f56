import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ValidationError } from '../core/errors';
import { common, type CommonOptions, withManager } from './context';
import { printJson } from './format';

function readDocument(file: string): unknown {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read ${file === '-' ? 'standard input' : file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError(`${file === '-' ? 'standard input' : file} is not valid JSON: ${(err as Error).message}`);
  }
}

export function submitCommand(program: Command): void {
  common(program.command('submit <file>').description('submit a job document (a JSON file, or - for standard input)')).action(
    (file: string, opts: CommonOptions) => {
      const doc = readDocument(file);
      const r = withManager(opts, ({ manager }) => manager.jobs.submit(doc));
      if (opts.json) printJson(r);
      else process.stdout.write(`${r.id}\n`);
      if (!opts.json) process.stderr.write(`submitted job ${r.id} with ${r.tasks} task${r.tasks === 1 ? '' : 's'}\n`);
    },
  );
}
