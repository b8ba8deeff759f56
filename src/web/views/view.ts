import type { FarmEvent } from '../live';

export interface Ctx {
  /** Whether actions are possible (an admin token is held). */
  admin: boolean;
  /** Shows a short message (errors in red) at the top of the page. */
  notify(message: string, error?: boolean): void;
  /** Runs an action, reports its outcome, and refreshes the view. */
  act(what: string, fn: () => Promise<unknown>): Promise<void>;
}

export interface View {
  el: HTMLElement;
  refresh(): Promise<void>;
  /** Whether an event concerns what the view shows (it is then refreshed, a burst at a time). */
  wants(e: FarmEvent): boolean;
  dispose?(): void;
}
