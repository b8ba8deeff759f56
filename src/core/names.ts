// What people type where an id is expected: the id itself, a unique id prefix of at least four
// characters, a job's name or a worker's nickname. The one rule every command and route uses to
// turn such a reference into an id.
import type { NameMatch, NamesRepo } from '../db/names-repo';
import { AmbiguousNameError, NotFoundError } from './support/errors';
import { isId } from './support/ids';

/** How messages and logs name a worker: its nickname, then its id. */
export function identifier(w: { nickname: string; id: string }): string {
  return `${w.nickname} (${w.id})`;
}

/** Shorter prefixes would match half the farm; ids made in the same second share 8 characters. */
export const MIN_ID_PREFIX = 4;
const PREFIX_RE = new RegExp(`^[0-9a-f]{${MIN_ID_PREFIX},23}$`);

type Kind = 'job' | 'worker' | 'task';

export class Names {
  constructor(private readonly repo: NamesRepo) {}

  job(ref: string): string {
    return this.resolve('job', ref, (prefix) => this.repo.jobs(ref, prefix));
  }

  worker(ref: string): string {
    return this.resolve('worker', ref, (prefix) => this.repo.workers(ref, prefix));
  }

  /**
   * A task by id or id prefix, or as `<job>/<task name>` ("shot 12/render-1-10"): the ids of one
   * job's tasks differ only in their last characters, so a short prefix rarely singles one out.
   */
  task(ref: string): string {
    const slash = ref.lastIndexOf('/');
    if (slash > 0) {
      const name = ref.slice(slash + 1);
      const jobId = this.job(ref.slice(0, slash));
      return this.resolve('task', ref, () => this.repo.taskInJob(jobId, name).map((m) => ({ ...m, name: ref })));
    }
    return this.resolve('task', ref, (prefix) => (prefix ? this.repo.tasks(prefix) : []));
  }

  /**
   * A full id is taken as it is (the operation then says whether it exists). Otherwise an exact
   * name wins over id prefixes, so a job named "beef" is not shadowed by ids starting with beef.
   */
  private resolve(kind: Kind, ref: string, find: (prefix: string | null) => NameMatch[]): string {
    if (isId(ref)) return ref;
    const prefix = PREFIX_RE.test(ref) ? ref : null;
    const all = find(prefix);
    const byName = all.filter((m) => m.name === ref);
    const matches = dedupe(byName.length > 0 ? byName : all);
    if (matches.length === 1) return matches[0]!.id;
    if (matches.length === 0) throw new NotFoundError(`${kind} ${ref} not found`);
    const list = matches.map((m) => `  ${m.id}  ${m.name}`).join('\n');
    throw new AmbiguousNameError(`${JSON.stringify(ref)} matches ${matches.length} ${kind}s; give one of their ids:\n${list}`, matches);
  }
}

function dedupe(list: NameMatch[]): NameMatch[] {
  const seen = new Set<string>();
  return list.filter((m) => !seen.has(m.id) && seen.add(m.id));
}
