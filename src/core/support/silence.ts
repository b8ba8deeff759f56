// When a worker has been quiet for longer than it ever is while it runs: it was probably killed,
// lost its network or hangs, long before worker_timeout says so. The intervals are those of the
// workers' own code: Flamenco Worker 2.5 asks for a task every 5 s when idle (3 s after a task),
// asks "may I run" every 5 s while it runs one, and looks for a status change every 30 s when
// asleep; a Flamenco 3 worker asks for a task every 20 s when idle, "may I run" every 10 s while it
// runs one and looks for a status change every 3 s when asleep.
import type { Generation } from './generations';
import type { WorkerStatus } from './statuses';

interface PollIntervals {
  idle: number;
  running: number;
  asleep: number;
}

const POLL_MS: Record<Generation, PollIntervals> = {
  v2: { idle: 5_000, running: 5_000, asleep: 30_000 },
  v3: { idle: 20_000, running: 10_000, asleep: 3_000 },
};

/** Silent: heard from last more than this many poll intervals ago. */
export const SILENT_AFTER_INTERVALS = 2;

/** Gaps between a worker's requests kept to learn how often it speaks (see Cadences). */
const GAPS_KEPT = 5;

/**
 * How often each worker speaks, learnt from the gaps between its requests: a worker configured to
 * ask less often than its generation's defaults (Worker 2.5's may_i_run_interval_seconds, for
 * one) is not silent after two of the default intervals, but after two of its own. The usual gap
 * is the second longest of its last five, so that one long pause (a network blip, a restart of
 * serve) does not make a killed worker look talkative for long.
 */
export class Cadences {
  private readonly gaps = new Map<string, number[]>();

  /** The worker spoke `gapMs` after its previous request. */
  add(workerId: string, gapMs: number): void {
    const g = this.gaps.get(workerId) ?? [];
    if (g.length === 0) this.gaps.set(workerId, g);
    g.push(gapMs);
    if (g.length > GAPS_KEPT) g.shift();
  }

  /** Its usual gap between requests; 0 while fewer than two gaps are known. */
  usual(workerId: string): number {
    const g = this.gaps.get(workerId);
    if (!g || g.length < 2) return 0;
    return [...g].sort((a, b) => b - a)[1]!;
  }

  forget(workerId: string): void {
    this.gaps.delete(workerId);
  }
}

export interface Silence {
  /** How long the worker has not been heard from. */
  silent_ms: number;
  /** How often it would speak in its status: it is silent past SILENT_AFTER_INTERVALS of these. */
  poll_ms: number;
}

/**
 * The worker's silence, if it is silent; undefined when it spoke recently enough or when silence
 * is its normal state (offline, timed out, in error: those say so themselves). `lagMs`: how far
 * `heard` may lag behind the worker's last request: 0 when it is this process's own record of
 * it, else the interval at which the database's last_seen is written (protocol/workers.ts).
 */
export function silenceOf(
  w: { status: WorkerStatus; generation: Generation; current_task: string | null },
  heard: number,
  now: number,
  lagMs: number,
  /** Its usual gap between requests, when known (Cadences): a slower worker is allowed its own. */
  usualMs = 0,
): Silence | undefined {
  const poll = POLL_MS[w.generation];
  let poll_ms: number;
  if (w.status === 'asleep') poll_ms = poll.asleep;
  else if (w.status === 'awake' || w.status === 'starting' || w.status === 'testing') poll_ms = w.current_task ? poll.running : poll.idle;
  else return undefined;
  poll_ms = Math.max(poll_ms, Math.round(usualMs / 1000) * 1000);
  const silent_ms = now - heard;
  const allowed = SILENT_AFTER_INTERVALS * poll_ms + lagMs;
  return silent_ms > allowed ? { silent_ms, poll_ms } : undefined;
}
