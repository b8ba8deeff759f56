// Small helpers shared by the repositories: statements are prepared once per database.
import type { Statement } from 'better-sqlite3';
import type { DB } from './open';

const MAX_CACHED = 1000;

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

  /** UPDATE <table> SET <the patch's columns> WHERE id = ?; one prepared statement per column set. */
  update(table: string, id: string, patch: Record<string, unknown>, allowed: ReadonlySet<string>): number {
    const cols = Object.keys(patch).filter((k) => patch[k] !== undefined);
    if (cols.length === 0) return 0;
    for (const c of cols) if (!allowed.has(c)) throw new Error(`column ${table}.${c} cannot be updated`);
    const sql = `UPDATE ${table} SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`;
    const params: Record<string, unknown> = { id };
    for (const c of cols) params[c] = toSql(patch[c]);
    return this.get(sql).run(params).changes;
  }
}

export function toSql(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
