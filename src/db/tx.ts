// Atomic writes without better-sqlite3's `db.transaction(fn)` wrapper, which builds a new wrapped
// function (and looks up its controller) on every call: on the request path that cost as much as
// the SQL itself. The statements are prepared once per connection.
import type { DB } from './open';

export type AtomicWrite = <T>(fn: () => T) => T;

/**
 * Returns `write(fn)`: runs fn as one unit. Outside a transaction it is an immediate transaction
 * (the write lock is taken up front, so it never fails half-way on a lock upgrade); inside one it
 * is a savepoint, so a failure undoes only fn's own writes. fn must be synchronous.
 */
export function atomicWriter(db: DB): AtomicWrite {
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const savepoint = db.prepare('SAVEPOINT w');
  const release = db.prepare('RELEASE w');
  const rollbackTo = db.prepare('ROLLBACK TO w');
  return <T>(fn: () => T): T => {
    if (db.inTransaction) {
      savepoint.run();
      try {
        const result = fn();
        release.run();
        return result;
      } catch (err) {
        // SQLite may have ended the whole transaction already (e.g. a full disk).
        if (db.inTransaction) {
          rollbackTo.run();
          release.run();
        }
        throw err;
      }
    }
    begin.run();
    try {
      const result = fn();
      commit.run();
      return result;
    } catch (err) {
      if (db.inTransaction) rollback.run();
      throw err;
    }
  };
}
