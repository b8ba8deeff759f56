// Transactions without better-sqlite3's `db.transaction(fn)` wrapper, which builds a new wrapped
// function (and looks up its controller) on every call: on the request path that cost as much as
// the SQL itself. The statements are prepared once per connection, and the group commit
// (db/batch.ts) begins and ends its transactions with the same ones.
import type { DB } from './open';

export type AtomicWrite = <T>(fn: () => T) => T;

export class Transactions {
  private readonly beginStmt;
  private readonly commitStmt;
  private readonly rollbackStmt;
  private readonly savepointStmt;
  private readonly releaseStmt;
  private readonly rollbackToStmt;

  /**
   * Called by write() outside a transaction, before it would begin its own. The group commit
   * (db/batch.ts) sets it while it runs a request that writes only through write(): it begins
   * its batch there, so that the request takes the write lock only if it writes.
   */
  beforeOwnTransaction: (() => void) | undefined;

  constructor(private readonly db: DB) {
    this.beginStmt = db.prepare('BEGIN IMMEDIATE');
    this.commitStmt = db.prepare('COMMIT');
    this.rollbackStmt = db.prepare('ROLLBACK');
    this.savepointStmt = db.prepare('SAVEPOINT w');
    this.releaseStmt = db.prepare('RELEASE w');
    this.rollbackToStmt = db.prepare('ROLLBACK TO w');
  }

  /** Starts an immediate transaction: the write lock is taken up front. */
  begin(): void {
    this.beginStmt.run();
  }

  commit(): void {
    this.commitStmt.run();
  }

  /** Ends the transaction without its writes, unless SQLite ended it already (e.g. a full disk). */
  rollback(): void {
    if (this.db.inTransaction) this.rollbackStmt.run();
  }

  /**
   * Runs fn as one unit. Outside a transaction it is an immediate transaction (so it never fails
   * half-way on a lock upgrade); inside one it is a savepoint, so a failure undoes only fn's own
   * writes. fn must be synchronous.
   */
  readonly write: AtomicWrite = <T>(fn: () => T): T => {
    if (!this.db.inTransaction) this.beforeOwnTransaction?.();
    if (this.db.inTransaction) {
      this.savepointStmt.run();
      try {
        const result = fn();
        this.releaseStmt.run();
        return result;
      } catch (err) {
        // SQLite may have ended the whole transaction already (e.g. a full disk).
        if (this.db.inTransaction) {
          this.rollbackToStmt.run();
          this.releaseStmt.run();
        }
        throw err;
      }
    }
    this.begin();
    try {
      const result = fn();
      this.commit();
      return result;
    } catch (err) {
      this.rollback();
      throw err;
    }
  };
}
