// Group commit: the writes of every request handled in one turn of the event loop share one
// transaction, committed once at the end of the turn (setImmediate). A commit is a WAL append, so
// many small requests cost one append instead of one each; answers wait for the commit, so an
// acknowledged change is still on disk. Nested transactions inside become savepoints.
import type { DB } from './open';
import type { Transactions } from './tx';

export class WriteBatch {
  /** Batches committed so far (each the writes of one event-loop turn). */
  commits = 0;
  private open = false;
  private done: Promise<void> = Promise.resolve();
  private resolveDone?: () => void;
  private rejectDone?: (err: unknown) => void;

  constructor(
    private readonly db: DB,
    private readonly tx: Transactions,
  ) {}

  /** Starts a batch unless one is open; the caller's following writes join it. */
  begin(): void {
    if (this.open || this.db.inTransaction) return;
    this.tx.begin();
    this.open = true;
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // A failed batch is reported to the requests that wait for it, never as an unhandled rejection.
    this.done.catch(() => undefined);
    setImmediate(() => this.commit());
  }

  /** Resolves once the writes made so far are committed. */
  committed(): Promise<void> {
    return this.pending() ?? Promise.resolve();
  }

  /** The commit the writes made so far wait for; undefined when there is none to wait for. */
  pending(): Promise<void> | undefined {
    return this.open ? this.done : undefined;
  }

  /**
   * Runs fn, which writes only through `repos.write`, without opening anything: its first write
   * begins the batch (unless this turn's is open already) and each write is a savepoint of it.
   * A request that writes nothing (an idle worker's /task poll: plain reads) takes no lock and
   * waits for no commit; one that writes waits for the batch's commit, as with run().
   */
  joined<T>(fn: () => T): T {
    const outer = this.tx.beforeOwnTransaction;
    this.tx.beforeOwnTransaction = this.beginHook;
    try {
      return fn();
    } finally {
      this.tx.beforeOwnTransaction = outer;
    }
  }

  private readonly beginHook = () => this.begin();

  /** Runs fn inside the batch as one savepoint: if it throws, only its own writes are undone. */
  run<T>(fn: () => T): T {
    this.begin();
    return this.tx.write(fn);
  }

  /**
   * Runs fn inside the batch without a savepoint: for a fn whose only write is one statement,
   * which SQLite applies whole or not at all (a failing fn has then changed nothing).
   */
  runOne<T>(fn: () => T): T {
    this.begin();
    return fn();
  }

  commit(): void {
    if (!this.open) return;
    this.open = false;
    const resolve = this.resolveDone!;
    const reject = this.rejectDone!;
    try {
      this.tx.commit();
      this.commits++;
      resolve();
    } catch (err) {
      this.tx.rollback();
      reject(err);
    }
  }
}
