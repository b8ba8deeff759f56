// Answers of read routes that many watchers ask for at once (every open dashboard asks for the
// jobs list after each burst of events). A client that names the newest event it has seen
// (`?at=<event id>`) asks for the state "as of at least that event": an answer computed when serve
// had read that far serves every such client, so a hundred dashboards cost one listing per burst
// instead of a hundred. Requests without `at` (the CLI, scripts) are always computed afresh.
import { ValidationError } from '../core/support/errors';

/** Distinct queries kept (status filters and limits make a few). */
const MAX_KEYS = 32;

export class SharedReads {
  private readonly entries = new Map<string, { position: number; body: unknown }>();

  /**
   * The answer for `key` as of at least event `at`: the kept one if it was computed at or after
   * that event, else `compute()`, kept with `position` (how far serve has read the events now).
   */
  read(key: string, at: number, position: number, compute: () => unknown): unknown {
    const kept = this.entries.get(key);
    if (kept && kept.position >= at) return kept.body;
    const body = compute();
    this.entries.delete(key);
    if (this.entries.size >= MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { position, body });
    return body;
  }
}

/** The `at` query parameter: an event id, or undefined when not given. */
export function atParam(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new ValidationError('at: must be an event id (a whole number)');
  return Number(value);
}
