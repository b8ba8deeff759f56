// Worker tags: a job with a tag runs only on workers that have it (the scheduler's query checks
// it). Admins give workers tags; the Blender add-on lists the tags in use to pick one for a job.
import { NotFoundError, ValidationError } from '../support/errors';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import { Names } from '../names';

/** Letters, digits, `_`, `.`, `-`: safe in a CLI list ("a,b"), a URL and the scheduler's tag match. */
const TAG = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** At most this many tags per worker, so a request cannot make the scheduler's tag list large. */
export const MAX_TAGS = 32;

export function checkTag(tag: unknown, field = 'tag'): string {
  if (typeof tag !== 'string' || !TAG.test(tag)) {
    throw new ValidationError(`${field}: ${JSON.stringify(tag)} is not a tag (1 to 64 letters, digits, _ . -, starting with a letter or digit)`);
  }
  return tag;
}

export type TagChange = { set: readonly unknown[] } | { add: unknown } | { remove: unknown } | { clear: true };

export interface WorkerTagsView {
  id: string;
  nickname: string;
  tags: string[];
}

export class WorkerTags {
  /** Workers are known by nickname: the one rule for what people type (core/names.ts). */
  private readonly names: Names;
  constructor(
    private readonly repos: Repos,
    private readonly log: Logger,
  ) {
    this.names = new Names(repos.names);
  }

  get(worker: string): WorkerTagsView {
    const id = this.names.worker(worker);
    const w = this.repos.workers.get(id);
    if (!w) throw new NotFoundError(`worker ${worker} not found`);
    return { id: w.id, nickname: w.nickname, tags: w.tags };
  }

  /** Applies one change atomically and returns the worker's tags after it. */
  change(worker: string, change: TagChange): WorkerTagsView {
    const view = this.repos.write(() => {
      const before = this.get(worker);
      let out: string[];
      if ('set' in change) out = change.set.map((t, i) => checkTag(t, `tags[${i}]`));
      else if ('add' in change) out = [...before.tags, checkTag(change.add)];
      else if ('remove' in change) {
        const tag = checkTag(change.remove);
        out = before.tags.filter((t) => t !== tag);
      } else out = [];
      out = [...new Set(out)];
      if (out.length > MAX_TAGS) throw new ValidationError(`tags: a worker can have at most ${MAX_TAGS} tags`);
      this.repos.workers.setTags(before.id, out);
      return { ...before, tags: out };
    });
    this.log.info('worker tags changed', { worker: view.id, tags: view.tags.join(',') });
    return view;
  }

  /** Every tag some worker has. */
  inUse(): string[] {
    return this.repos.workers.tagsInUse();
  }
}
