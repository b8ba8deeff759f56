// Statements are prepared once per database and kept by their SQL text.
import type { Statement } from 'better-sqlite3';
import type { DB } from './open';

const MAX_CACHED = 1000;

/** A list of fixed words as SQL text, `('a', 'b')`: for the status sets of core/support/statuses.ts. */
export function sqlList(words: readonly string[]): string {
  return `(${words.map((w) => `'${w.replaceAll("'", "''")}'`).join(', ')})`;
}

export class StatementCache {
  private readonly cache = new Map<string, Statement>();
  constructor(readonly db: DB) {}

  get(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      // Statements with literals (one per task type) could grow without end on odd input.
      if (this.cache.size < MAX_CACHED) this.cache.set(sql, stmt);
    }
    return stmt;
  }
}
