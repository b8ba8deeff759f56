// `prune-jobs`: deletes finished jobs older than a given age, with their tasks and logs.
import type { Command } from 'commander';
import { parseAge, parsePrunableStatuses, PRUNABLE, type PruneResult } from '../core/lifecycle/retention';
import { common, type CommonOptions } from './context';
import { withClient } from './client/connect';
import { printJson } from './format';
import { io } from './io';
import { counted } from '../core/support/plural';

/** "1.5 MiB", "312 KiB", "80 B". */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** One line saying what a prune freed. */
export function pruneSummary(r: PruneResult): string {
  if (r.jobs === 0) return 'nothing to prune';
  return `pruned ${counted(r.jobs, 'job')}: ${counted(r.tasks, 'task')}, ${bytes(r.log_bytes)} of task logs`;
}

export function pruneJobsCommand(program: Command): void {
  common(
    program
      .command('prune-jobs')
      .description('delete finished jobs not changed for a while, with their tasks and logs')
      .requiredOption('--older-than <duration>', 'e.g. 30d, 12h')
      .option('--status <list>', `comma-separated finished statuses (default ${PRUNABLE.join(',')})`),
  ).action(async (opts: CommonOptions & { olderThan: string; status?: string }) => {
    const age = parseAge(opts.olderThan, '--older-than');
    const statuses = opts.status === undefined ? [...PRUNABLE] : parsePrunableStatuses(opts.status.split(',').map((s) => s.trim()));
    const r = await withClient(opts, (c) => c.prune(age, statuses));
    if (opts.json) return printJson(r);
    for (const j of r.pruned) io.out(`deleted job ${j.id} (${j.name}), ${j.status}, ${counted(j.tasks, 'task')}\n`);
    io.out(`${pruneSummary(r)}\n`);
  });
}
