// A mark that changes whenever the database changes: rows this connection changed (committed or
// not) and commits of other connections (the CLI's). Equal marks mean an equal database, so a
// read that found nothing needs no repeating while the mark stays.
import type { DB } from './open';

export class ChangeMark {
  private readonly stmt;
  constructor(db: DB) {
    this.stmt = db.prepare('SELECT total_changes() AS own, data_version AS other FROM pragma_data_version');
  }

  current(): string {
    const r = this.stmt.get() as { own: number; other: number };
    return `${r.own}:${r.other}`;
  }
}
