// Counts the SQL statements a connection runs whose text matches: what a request costs in
// statements is a property of the code (the CPU it takes is not, on a shared machine).
import type { DB } from '../../src/db/open';
import { onCleanup } from './env';

type Method = (...args: unknown[]) => unknown;

/** Counts, from now until the test ends, the statements of `db` whose SQL matches `sql`. */
export function countStatements(db: DB, sql: RegExp): { count(): number } {
  let n = 0;
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, Method>;
  const originals: [string, Method][] = [];
  for (const k of ['run', 'get', 'all', 'iterate']) {
    const orig = proto[k]!;
    originals.push([k, orig]);
    proto[k] = function (this: { source: string }, ...args: unknown[]) {
      if (sql.test(this.source)) n++;
      return orig.apply(this, args);
    };
  }
  onCleanup(() => {
    for (const [k, orig] of originals) proto[k] = orig;
  });
  return { count: () => n };
}
