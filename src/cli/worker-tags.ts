// `worker-tags <worker>`: show or change a worker's tags. A job with a tag runs only on workers
// that have it.
import type { Command } from 'commander';
import type { TagChange } from '../core/protocol/worker-tags';
import { ValidationError } from '../core/support/errors';
import { common, type CommonOptions } from './context';
import { withClient } from './client/connect';
import { printJson } from './format';
import { io } from './io';

interface TagOptions extends CommonOptions {
  set?: string;
  add?: string;
  remove?: string;
  clear?: boolean;
}

function changeFrom(opts: TagOptions): TagChange | undefined {
  const given = [opts.set !== undefined, opts.add !== undefined, opts.remove !== undefined, opts.clear === true].filter(Boolean).length;
  if (given > 1) throw new ValidationError('give one of --set, --add, --remove or --clear');
  if (opts.set !== undefined)
    return {
      set: opts.set
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
    };
  if (opts.add !== undefined) return { add: opts.add };
  if (opts.remove !== undefined) return { remove: opts.remove };
  if (opts.clear) return { clear: true };
  return undefined;
}

export function workerTagsCommand(program: Command): void {
  common(
    program
      .command('worker-tags <worker>')
      .description('show or change the tags of a worker (id or nickname); a job with a tag runs only on workers that have it')
      .option('--set <tags>', 'replace the tags, e.g. "gpu,linux" (an empty list clears them)')
      .option('--add <tag>', 'add one tag')
      .option('--remove <tag>', 'remove one tag')
      .option('--clear', 'remove every tag'),
  ).action(async (worker: string, opts: TagOptions) => {
    const change = changeFrom(opts);
    const w = await withClient(opts, (c) => (change ? c.changeWorkerTags(worker, change) : c.workerTags(worker)));
    if (opts.json) return printJson(w);
    io.out(`worker ${w.id} (${w.nickname}): ${w.tags.length > 0 ? w.tags.join(', ') : 'no tags'}\n`);
  });
}
