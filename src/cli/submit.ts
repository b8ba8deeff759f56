import { readFileSync } from 'node:fs';
import { io } from './io';
import type { Command } from 'commander';
import { isPlainObject } from '../core/support/validate';
import { ValidationError } from '../core/support/errors';
import { common, type CommonOptions, fsProblem } from './context';
import { withClient } from './client/connect';
import { printJson } from './format';
import { counted } from '../core/support/plural';

function readDocument(file: string): unknown {
  let text: string;
  try {
    text = file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read ${file === '-' ? 'standard input' : file}: ${fsProblem(err)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError(`${file === '-' ? 'standard input' : file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A job document that any farm with a worker for `sleep` runs; `submit --help` shows it. */
export const EXAMPLE_JOB = { name: 'first test', job_type: 'sleep', settings: { frames: '1-4', chunk_size: 2, time_in_seconds: 1 } };

const SUBMIT_HELP = `
A job document is JSON: a name, a job type and the type's settings. For example:

  echo '${JSON.stringify(EXAMPLE_JOB)}' | flamenco-mgr submit -

'flamenco-mgr job-types' lists the job types and the settings each takes; docs/jobs.md describes
the document (priority, tags, metadata, custom task lists).`;

export function submitCommand(program: Command): void {
  common(
    program
      .command('submit <file>')
      .description('submit a job document (a JSON file, or - for standard input)')
      .option('--priority <0-100>', "override the document's priority")
      .option('--paused', 'submit the job paused (resume it with resume-job)')
      .option('--tag <tag>', 'only workers with this tag run the job')
      .addHelpText('after', SUBMIT_HELP),
  ).action(async (file: string, opts: CommonOptions & { priority?: string; paused?: boolean; tag?: string }) => {
    if (opts.priority !== undefined && !/^\d+$/.test(opts.priority)) {
      throw new ValidationError(`--priority: "${opts.priority}" is not a whole number from 0 to 100`);
    }
    const doc = readDocument(file);
    if (isPlainObject(doc)) {
      const d = doc;
      if (opts.priority !== undefined) d.priority = Number(opts.priority);
      if (opts.paused) d.start_paused = true;
      if (opts.tag !== undefined) d.tag = opts.tag;
    }
    const r = await withClient(opts, (c) => c.submit(doc));
    if (opts.json) return printJson(r);
    io.out(`${r.id}\n`);
    io.err(`submitted job ${r.id} with ${counted(r.tasks, 'task')}\n`);
    for (const w of r.warnings) io.err(`warning: ${w}\n`);
  });
}
