// Small key/value facts about the farm (e.g. the newest output image).
import type { DB } from './open';
import { StatementCache } from './statements';

export class SettingsRepo {
  private readonly s: StatementCache;
  constructor(db: DB) {
    this.s = new StatementCache(db);
  }

  get(key: string): string | undefined {
    return this.s.get('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
  }

  set(key: string, value: string): void {
    this.s.get('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}
