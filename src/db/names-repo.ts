// SQL for finding jobs, workers and tasks by what people type: a name, a nickname or an id prefix.
import type { DB } from './open';
import { StatementCache } from './statements';

/** A match: its id and the name people know it by (a task's name, a job's, a worker's nickname). */
export interface NameMatch {
  id: string;
  name: string;
}

/** How many candidates one lookup returns at most: enough to show that a name is ambiguous. */
const MAX_MATCHES = 20;

/**
 * Ids are 24 lowercase hex characters, so every id starting with `prefix` lies in
 * [prefix, prefix + 'g'): a range on the id index, fast on a million tasks.
 */
function prefixRange(prefix: string): [string, string] {
  return [prefix, `${prefix}g`];
}

export class NamesRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  /** A job's name by its id (undefined when there is no such job). */
  jobName(id: string): string | undefined {
    return this.s.get('SELECT name FROM jobs WHERE id = ?').pluck().get(id) as string | undefined;
  }

  /** A worker's nickname by its id (undefined when there is no such worker). */
  workerNickname(id: string): string | undefined {
    return this.s.get('SELECT nickname FROM workers WHERE id = ?').pluck().get(id) as string | undefined;
  }

  jobs(name: string, idPrefix: string | null): NameMatch[] {
    const byName = this.s.get(`SELECT id, name FROM jobs WHERE name = ? ORDER BY seq LIMIT ${MAX_MATCHES}`).all(name) as NameMatch[];
    return idPrefix ? [...byName, ...this.byPrefix('jobs', 'name', idPrefix)] : byName;
  }

  workers(nickname: string, idPrefix: string | null): NameMatch[] {
    const byName = this.s.get(`SELECT id, nickname AS name FROM workers WHERE nickname = ? ORDER BY id LIMIT ${MAX_MATCHES}`).all(nickname) as NameMatch[];
    return idPrefix ? [...byName, ...this.byPrefix('workers', 'nickname', idPrefix)] : byName;
  }

  /** Task names repeat from job to job (`sleep-1-5`): by id prefix, or by name within a job. */
  tasks(idPrefix: string): NameMatch[] {
    return this.byPrefix('tasks', 'name', idPrefix);
  }

  taskInJob(jobId: string, name: string): NameMatch[] {
    return this.s.get(`SELECT id, name FROM tasks WHERE job_id = ? AND name = ? ORDER BY seq LIMIT ${MAX_MATCHES}`).all(jobId, name) as NameMatch[];
  }

  private byPrefix(table: 'jobs' | 'workers' | 'tasks', nameColumn: string, prefix: string): NameMatch[] {
    return this.s.get(`SELECT id, ${nameColumn} AS name FROM ${table} WHERE id >= ? AND id < ? ORDER BY id LIMIT ${MAX_MATCHES}`).all(...prefixRange(prefix)) as NameMatch[];
  }
}
