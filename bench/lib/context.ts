// What every scenario gets: sizes for the chosen mode, paths, the report, temp dirs, progress.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Paths } from './processes';
import type { Report } from './report';

export interface Sizes {
  idleWorkers: number;
  idleWarmMs: number;
  idleMeasureMs: number;
  dispatchWorkers: number;
  dispatchTasks: number;
  dispatchJobs: number;
  dispatchWarmMs: number;
  dispatchMeasureMs: number;
  scaleTasks: number[];
  scaleWorkers: number[];
  /** Claims measured per scale point (after the warm-up claims). */
  scaleClaims: number;
  scaleWarmClaims: number;
  /** Simulated workers doing the measured /task → update → update loop in the scale scenario. */
  scalePollers: number;
  /** Tasks per job when building the large databases. */
  bigJobTasks: number;
  /** Longest pause between /task polls of an idle background worker (under the 60 s worker timeout; each pause is 80–100 % of it). */
  idlePollPeriodS: number;
}

export const FULL: Sizes = {
  idleWorkers: 200,
  idleWarmMs: 2000,
  idleMeasureMs: 10_000,
  dispatchWorkers: 200,
  dispatchTasks: 100_000,
  dispatchJobs: 50,
  dispatchWarmMs: 3000,
  dispatchMeasureMs: 30_000,
  scaleTasks: [1000, 100_000, 1_000_000],
  scaleWorkers: [10, 1000, 10_000],
  scaleClaims: 2000,
  scaleWarmClaims: 200,
  scalePollers: 10,
  bigJobTasks: 20_000,
  idlePollPeriodS: 50,
};

export const QUICK: Sizes = {
  ...FULL,
  idleWorkers: 50,
  idleWarmMs: 1000,
  idleMeasureMs: 5000,
  dispatchTasks: 10_000,
  dispatchWarmMs: 2000,
  dispatchMeasureMs: 6000,
  scaleTasks: [1000, 100_000],
  scaleWorkers: [10, 1000],
  scaleClaims: 1000,
  scaleWarmClaims: 100,
};

export interface Ctx {
  quick: boolean;
  sizes: Sizes;
  paths: Paths;
  report: Report;
  /** Node flags for serve when profiling (e.g. --cpu-prof), per scenario name. */
  profileDir?: string;
  tmpRoot: string;
  keep: boolean;
  log(msg: string): void;
  /** Requests per second of the bare baseline server, once the idle scenario has measured it. */
  baselineReqPerS?: number;
  /** serve's CPU per task in the dispatch scenario (Worker 2.5), to compare the Flamenco 3 farm's with. */
  dispatchCpuPerCycleMs?: number;
  /** The floor server's CPU per task with Worker 2.5's requests (dispatch), for the Flamenco 3 farm's. */
  floorCpuPerCycleMs?: number;
}

export function makeTmpRoot(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'flamenco-mgr-bench-'));
}

let n = 0;
/** A fresh data directory under the bench's temp root. */
export function dataDir(ctx: Ctx, name: string): string {
  return path.join(ctx.tmpRoot, `${String(++n).padStart(2, '0')}-${name}`);
}

export function removeDir(ctx: Ctx, dir: string): void {
  if (!ctx.keep) rmSync(dir, { recursive: true, force: true });
}

/** Node flags that make serve write a CPU profile for this scenario, when profiling. */
export function profileArgs(ctx: Ctx, scenario: string): string[] {
  if (!ctx.profileDir) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${path.join(ctx.profileDir, scenario)}`];
}

/** A stop flag whose sleeps end as soon as it is raised. */
export class Stop {
  stopped = false;
  private wakers = new Set<() => void>();

  raise(): void {
    this.stopped = true;
    for (const w of this.wakers) w();
    this.wakers.clear();
  }

  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.wakers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, Math.max(0, ms));
      this.wakers.add(wake);
    });
  }
}
