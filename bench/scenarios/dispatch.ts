// Dispatch: 200 workers drain a queue of mixed jobs, each looping POST /task → update active →
// update completed (with a 2 KB log). Then, with the load still running, an admin runs
// `queue-status` and `requeue --job` from the CLI: how long they take and whether any worker
// request failed or took more than 1 s meanwhile.
import { type Ctx, dataDir, profileArgs, removeDir, Stop } from '../lib/context';
import { ALL_TYPES, buildQueue, F3_ALL_TYPES, F3_RENDER_ONLY_TYPES, RENDER_ONLY_TYPES } from '../lib/fixtures';
import { F3SimWorker, now, pool, randomSecret, registerF3OverHttp, registerOverHttp, SimWorker, UPDATE_ACTIVE, UPDATE_COMPLETED } from '../lib/loadgen';
import { assertAlive, cpuTimeOf, memoryOf, runCli, startBaseline, startFloor, startServe } from '../lib/processes';
import { ERR_NETWORK, ERR_TIMEOUT, Recorder, round, type Sample, summarize } from '../lib/stats';
import { runWorkerLoops } from '../lib/worker-loop';
import { FEATURE_STATEMENTS } from '../lib/floor-server';

/** Statuses a worker treats as a failed request (the update stays queued, or the call errored). */
function failed(s: Sample, call: string): boolean {
  if (s.status === ERR_NETWORK || s.status === ERR_TIMEOUT) return true;
  if (call === 'task') return ![200, 204].includes(s.status);
  // 404 and 409 are answers the worker accepts (e.g. after its task was requeued by an admin).
  return ![204, 404, 409].includes(s.status);
}

/** Which workers the farm has: Flamenco Worker 2.5, the Flamenco 3 Worker, or half of each. */
export type Farm = 'v2' | 'v3' | 'mixed';

const SECTION: Record<Farm, string> = { v2: 'dispatch', v3: 'dispatch, Flamenco 3 workers', mixed: 'dispatch, mixed farm (half Flamenco 3)' };
/** Requests per task: /task, then 2 updates (2.5) or 4 (Flamenco 3: started, log, step, completed). */
const REQUESTS_PER_CYCLE: Record<Farm, number> = { v2: 3, v3: 5, mixed: 4 };

export const dispatch = (ctx: Ctx) => runDispatch(ctx, 'v2');
/** The same queue, generator and measure, with Flamenco 3 workers: what their cycle costs serve. */
export const dispatchF3 = (ctx: Ctx) => runDispatch(ctx, 'v3');
export const dispatchMixed = (ctx: Ctx) => runDispatch(ctx, 'mixed');

/**
 * The same generator and number of workers against the bare node:http server (204 to
 * everything): a cycle is as many requests as the farm's (POST /task, then the updates; the
 * updates carry Worker 2.5's bodies, the last one the 2 KB log), each waiting for the one before.
 * Cycles per second over `measureMs` after `warmMs`.
 */
async function bareCycles(ctx: Ctx, farm: Farm, workers: number, warmMs: number, measureMs: number): Promise<number> {
  const server = await startBaseline(ctx.paths);
  const sims = Array.from(
    { length: workers },
    (_, i) => new SimWorker(server.target, { id: `${i}`, secret: randomSecret(), nickname: `bare-${i}`, types: ALL_TYPES, platform: 'linux' }),
  );
  const updates = REQUESTS_PER_CYCLE[farm] - 1;
  const from = now() + warmMs;
  const to = from + measureMs;
  let cycles = 0;
  try {
    await Promise.all(
      sims.map(async (w) => {
        while (now() < to) {
          const start = now();
          await w.call('POST', '/task');
          for (let u = 1; u <= updates; u++) await w.call('POST', '/tasks/0123456789abcdef01234567/update', u === updates ? UPDATE_COMPLETED : UPDATE_ACTIVE);
          if (start >= from && now() <= to) cycles++;
        }
      }),
    );
  } finally {
    for (const w of sims) w.close();
    await server.stop();
  }
  return cycles / (measureMs / 1000);
}

/**
 * The same farm and generator against the floor server (lib/floor-server.ts): the least work per
 * task that keeps serve's promises. Cycles per second and its CPU per cycle (main thread / all).
 */
async function floorCycles(
  ctx: Ctx,
  farm: Farm,
  workers: number,
  warmMs: number,
  measureMs: number,
  extraStatements = 0,
): Promise<{ cyclesPerS: number; mainMs: number; allMs: number }> {
  const dir = dataDir(ctx, `floor-${farm}`);
  // Enough for the window at any rate seen here; a queue that runs dry is queued again.
  const server = await startFloor(ctx.paths, dir, 50_000, extraStatements);
  const sims = Array.from({ length: workers }, (_, i) => {
    const ident = { id: (i + 1).toString(16).padStart(24, '0'), secret: randomSecret(), nickname: `floor-${i}`, platform: 'linux' };
    return farm === 'v3' || (farm === 'mixed' && i % 2 === 1)
      ? new F3SimWorker(server.target, { ...ident, types: F3_ALL_TYPES })
      : new SimWorker(server.target, { ...ident, types: ALL_TYPES });
  });
  const recs = { task: new Recorder('task'), active: new Recorder('active'), completed: new Recorder('completed'), cycles: new Recorder('cycle') };
  const stop = new Stop();
  try {
    const from = now() + warmMs;
    const loops = runWorkerLoops(sims, recs, stop, from + measureMs + 60_000);
    await stop.sleep(from - now());
    const all0 = cpuTimeOf(server.pid);
    const main0 = cpuTimeOf(server.pid, server.pid);
    await stop.sleep(from + measureMs - now());
    const all1 = cpuTimeOf(server.pid);
    const main1 = cpuTimeOf(server.pid, server.pid);
    stop.raise();
    await loops;
    const n = recs.cycles.slice(from, from + measureMs).filter((c) => c.start + c.ms <= from + measureMs).length;
    return { cyclesPerS: n / (measureMs / 1000), mainMs: n ? (main1 - main0) / n : NaN, allMs: n ? (all1 - all0) / n : NaN };
  } finally {
    for (const w of sims) w.close();
    await server.stop();
    removeDir(ctx, dir);
  }
}

async function runDispatch(ctx: Ctx, farm: Farm): Promise<void> {
  const S = SECTION[farm];
  const A = farm === 'v2' ? 'admin under load' : `admin under load, ${farm === 'v3' ? 'Flamenco 3 workers' : 'mixed farm'}`;
  const z = ctx.sizes;
  const dir = dataDir(ctx, `dispatch-${farm}`);
  ctx.log(`${S}: building ${z.dispatchTasks} tasks in ${z.dispatchJobs} jobs`);
  const queue = buildQueue(dir, z.dispatchTasks, z.dispatchJobs);
  ctx.log(`${S}: queue built in ${(queue.ms / 1000).toFixed(1)} s; starting serve, registering ${z.dispatchWorkers} workers over HTTP`);
  // The bare server's cycles/s, before and after serve's (the machine is shared: bracket serve).
  const bareWarm = Math.min(2000, z.dispatchWarmMs);
  const bareMeasure = Math.min(10_000, z.dispatchMeasureMs);
  ctx.log(`${S}: baseline cycles (bare node:http, 204) with ${z.dispatchWorkers} workers`);
  const bareBefore = await bareCycles(ctx, farm, z.dispatchWorkers, bareWarm, bareMeasure);
  const server = await startServe(ctx.paths, { dataDir: dir, nodeArgs: profileArgs(ctx, farm === 'v2' ? 'dispatch' : `dispatch-${farm}`) });
  const recs = { task: new Recorder('task'), active: new Recorder('update active'), completed: new Recorder('update completed') };
  const cycles = new Recorder('cycle');
  let workers: SimWorker[] = [];
  try {
    const tReg = now();
    workers = await pool(
      Array.from({ length: z.dispatchWorkers }, (_, i) => i),
      8,
      // A quarter of the farm runs only render-type tasks.
      (i) =>
        farm === 'v3' || (farm === 'mixed' && i % 2 === 1)
          ? registerF3OverHttp(server.target, `render-node-${i}`, i % 4 === 3 ? F3_RENDER_ONLY_TYPES : F3_ALL_TYPES)
          : registerOverHttp(server.target, `render-node-${i}`, i % 4 === 3 ? RENDER_ONLY_TYPES : ALL_TYPES),
    );
    const registerMs = now() - tReg;
    const signOn = await Promise.all(workers.map((w) => w.signOn()));
    if (signOn.some((r) => r.status !== 204)) throw new Error('sign-on failed');
    const runsAll = (w: SimWorker) => w.ident.types.length === ALL_TYPES.length || w.ident.types.length === F3_ALL_TYPES.length;

    const stop = new Stop();
    const t0 = now();
    const warmEnd = t0 + z.dispatchWarmMs;
    const measureEnd = warmEnd + z.dispatchMeasureMs;
    const hardStop = measureEnd + 120_000;
    /** When a worker that runs every task type first found the queue empty. */
    let drainedAt = Infinity;
    const allTypes = new Set(workers.filter(runsAll));

    const loops = runWorkerLoops(workers, { ...recs, cycles }, stop, hardStop, (w, r) => {
      if (r.status === 204 && allTypes.has(w) && r.start >= warmEnd && drainedAt === Infinity) drainedAt = r.start;
    });

    // Measured window: after the warm-up, until the measure time is up (or the queue ran dry).
    const cpuAt = { serve0: NaN, serve1: NaN, main0: NaN, main1: NaN, gen0: process.cpuUsage(), gen: { user: 0, system: 0 } };
    await stop.sleep(warmEnd - now());
    cpuAt.serve0 = cpuTimeOf(server.pid);
    cpuAt.main0 = cpuTimeOf(server.pid, server.pid);
    cpuAt.gen0 = process.cpuUsage();
    while (now() < measureEnd && drainedAt === Infinity) await stop.sleep(Math.min(250, measureEnd - now()));
    const windowEnd = Math.min(measureEnd, drainedAt);
    cpuAt.serve1 = cpuTimeOf(server.pid);
    cpuAt.main1 = cpuTimeOf(server.pid, server.pid);
    cpuAt.gen = process.cpuUsage(cpuAt.gen0);
    const windowS = (windowEnd - warmEnd) / 1000;

    // Admin commands from the CLI while the workers keep going.
    ctx.log(`${A}: queue-status and requeue --job from the CLI during dispatch`);
    const qs = await runCli(ctx.paths, ['queue-status', '--json', '--data-dir', dir]);
    let jobId = queue.jobs[0]!.id;
    try {
      const doc = JSON.parse(qs.stdout) as { jobs: { id: string; status: string }[] };
      // The job being worked on, if any: its running tasks meet the requeue.
      jobId = doc.jobs.find((j) => j.status === 'active')?.id ?? jobId;
    } catch {
      // keep the first job
    }
    await stop.sleep(500);
    const rq = await runCli(ctx.paths, ['requeue', '--job', jobId, '--data-dir', dir]);
    await stop.sleep(1000);
    const adminFrom = qs.start;
    const adminTo = rq.end + 1000;
    stop.raise();
    await loops;
    const mem = memoryOf(server.pid);
    assertAlive(server, 'dispatch');
    for (const w of workers) w.close();
    await server.stop();
    ctx.log(`${S}: baseline cycles again`);
    const bareAfter = await bareCycles(ctx, farm, z.dispatchWorkers, bareWarm, bareMeasure);
    const bareRate = (bareBefore + bareAfter) / 2;
    ctx.log(`${S}: the floor server (the least work that keeps serve's promises) with the same farm`);
    const floor = await floorCycles(ctx, farm, z.dispatchWorkers, bareWarm, bareMeasure);
    ctx.log(`${S}: the floor server with ${FEATURE_STATEMENTS} simple statements a cycle more, as many as serve's features run`);
    const floorPlus = await floorCycles(ctx, farm, z.dispatchWorkers, bareWarm, bareMeasure, FEATURE_STATEMENTS);

    // --- figures ---------------------------------------------------------------------------------
    const inWindow = (r: Recorder) => summarize(r.slice(warmEnd, windowEnd));
    const task = inWindow(recs.task);
    const active = inWindow(recs.active);
    const completed = inWindow(recs.completed);
    const cyc = cycles.slice(warmEnd, windowEnd).filter((s) => s.start + s.ms <= windowEnd);
    const cyclesPerS = cyc.length / windowS;

    const r = ctx.report;
    r.add(S, 'workers / queued tasks / jobs', `${z.dispatchWorkers} / ${z.dispatchTasks} / ${z.dispatchJobs}`);
    r.add(S, 'measured window', windowS, drainedAt < measureEnd ? 's (the queue ran dry: window ends there)' : 's');
    r.add(S, 'full cycles per second', cyclesPerS, 'cycles/s');
    // What this machine and generator allow at all: the same cycles against the bare server.
    const perCycle = REQUESTS_PER_CYCLE[farm];
    r.add(S, `bare server cycles per second (${perCycle} requests; mean of before/after)`, bareRate, 'cycles/s');
    r.add(S, `serve / bare server cycles per second (${farm} cycle)`, Math.round((cyclesPerS / bareRate) * 1000) / 10, '%', '≥ 50 %', cyclesPerS / bareRate >= 0.5);
    r.add(S, 'floor server cycles per second (the least work per task that keeps the promises)', floor.cyclesPerS, 'cycles/s');
    r.add(S, 'floor / bare server cycles per second', Math.round((floor.cyclesPerS / bareRate) * 1000) / 10, '%');
    r.add(S, 'serve / floor server cycles per second', Math.round((cyclesPerS / floor.cyclesPerS) * 1000) / 10, '%');
    r.add(S, `floor server + ${FEATURE_STATEMENTS} simple statements a cycle / bare server cycles per second`, Math.round((floorPlus.cyclesPerS / bareRate) * 1000) / 10, '%');
    r.add(S, 'POST /task p50', task.p50, 'ms');
    r.add(S, 'POST /task p99', task.p99, 'ms', '≤ 20 ms', task.p99 <= 20);
    r.add(S, 'update active p50 / p99', `${active.p50} / ${active.p99}`, 'ms');
    r.add(S, 'update completed (2 KB log) p50 / p99', `${completed.p50} / ${completed.p99}`, 'ms');
    const bad = (['task', 'active', 'completed'] as const).reduce((a, k) => a + recs[k].slice(warmEnd, windowEnd).filter((s) => failed(s, k)).length, 0);
    r.add(S, 'failed worker requests', bad, '', '0', bad === 0);
    r.add(
      S,
      'serve CPU / generator CPU',
      `${round(((cpuAt.serve1 - cpuAt.serve0) / 1000 / windowS) * 100, 1)} / ${round(((cpuAt.gen.user + cpuAt.gen.system) / 1e6 / windowS) * 100, 1)}`,
      '% of a core',
    );
    // Less noisy than the rate on a shared machine: what one cycle costs serve, all threads.
    const cpuPerCycleMs = cyc.length > 0 ? (cpuAt.serve1 - cpuAt.serve0) / cyc.length : NaN;
    const mainPerCycleMs = cyc.length > 0 ? (cpuAt.main1 - cpuAt.main0) / cyc.length : NaN;
    r.add(S, 'serve CPU per full cycle: main thread / all threads', `${round(mainPerCycleMs, 3)} / ${round(cpuPerCycleMs, 3)}`, 'ms');
    r.add(S, 'floor server CPU per full cycle: main thread / all threads', `${round(floor.mainMs, 3)} / ${round(floor.allMs, 3)}`, 'ms');

    // Admin window: every worker request in flight at some moment from the start of queue-status
    // to 1 s after requeue ended.
    let fails = 0;
    let slow = 0;
    let maxMs = 0;
    let conflicts = 0;
    for (const k of ['task', 'active', 'completed'] as const) {
      for (const s of recs[k].overlapping(adminFrom, adminTo)) {
        if (failed(s, k)) fails++;
        if (s.ms > 1000) slow++;
        if (s.status === 409 || s.status === 404) conflicts++;
        maxMs = Math.max(maxMs, s.ms);
      }
    }
    r.add(A, 'queue-status duration (CLI process)', qs.ms, 'ms', qs.code === 0 ? undefined : 'exit 0', qs.code === 0 ? undefined : false);
    r.add(A, 'requeue --job duration (CLI process)', rq.ms, 'ms', rq.code === 0 ? undefined : 'exit 0', rq.code === 0 ? undefined : false);
    r.add(A, 'worker requests failed meanwhile', fails, '', '0', fails === 0);
    r.add(A, 'worker requests > 1 s meanwhile', slow, '', '0', slow === 0);
    r.add(A, 'slowest worker request meanwhile', maxMs, 'ms');
    // For comparison: the same load just before the admin commands, without them.
    const before = summarize((['task', 'active', 'completed'] as const).flatMap((k) => recs[k].slice(adminFrom - 5000, adminFrom)));
    r.add(A, 'for comparison, 5 s before: p99 / slowest', `${before.p99} / ${before.max}`, 'ms');
    r.add(A, 'updates answered 409/404 (task requeued under the worker)', conflicts);
    if (farm === 'v2') {
      ctx.dispatchCpuPerCycleMs = cpuPerCycleMs;
      ctx.floorCpuPerCycleMs = floor.allMs;
    } else if (ctx.dispatchCpuPerCycleMs !== undefined) {
      // Per task, with each generation's own requests: the Flamenco 3 cycle must not cost more.
      const ratio = cpuPerCycleMs / ctx.dispatchCpuPerCycleMs;
      r.add(S, "serve CPU per task ÷ Worker 2.5's (dispatch above)", ratio, '×', farm === 'v3' ? '≤ 1.0' : undefined, farm === 'v3' ? ratio <= 1 : undefined);
      // The same per request: what each answer costs, whatever the number of requests per task.
      r.add(S, "serve CPU per request ÷ Worker 2.5's", (ratio * REQUESTS_PER_CYCLE.v2) / perCycle, '×');
      // What the Flamenco 3 Worker's extra requests cost a server that does only what must be done.
      if (ctx.floorCpuPerCycleMs !== undefined) r.add(S, "floor server CPU per task ÷ Worker 2.5's", floor.allMs / ctx.floorCpuPerCycleMs, '×');
    }
    r.details[farm === 'v2' ? 'dispatch' : `dispatch_${farm}`] = {
      workers: z.dispatchWorkers,
      tasks: z.dispatchTasks,
      jobs: z.dispatchJobs,
      queueBuildMs: queue.ms,
      registerMs: round(registerMs),
      windowS: round(windowS),
      drainedBeforeEnd: drainedAt < measureEnd,
      cycles: cyc.length,
      cyclesPerS: round(cyclesPerS),
      bareCyclesPerS: { before: round(bareBefore), after: round(bareAfter) },
      floor: { cyclesPerS: round(floor.cyclesPerS), cpuPerCycleMs: { main: round(floor.mainMs, 3), all: round(floor.allMs, 3) } },
      floorWithFeatureStatements: {
        statements: FEATURE_STATEMENTS,
        cyclesPerS: round(floorPlus.cyclesPerS),
        cpuPerCycleMs: { main: round(floorPlus.mainMs, 3), all: round(floorPlus.allMs, 3) },
      },
      serveCpuPerCycleMs: round(cpuPerCycleMs, 3),
      serveMainThreadCpuPerCycleMs: round(mainPerCycleMs, 3),
      task,
      updateActive: active,
      updateCompleted: completed,
      serveMemory: mem,
      admin: {
        queueStatus: { ms: round(qs.ms), code: qs.code, stderr: qs.stderr.slice(0, 500) },
        requeue: { ms: round(rq.ms), code: rq.code, stdout: rq.stdout.trim(), stderr: rq.stderr.slice(0, 500), job: jobId },
        failed: fails,
        over1s: slow,
        maxMs: round(maxMs),
        conflicts,
      },
    };
  } finally {
    for (const w of workers) w.close();
    await server.stop();
    removeDir(ctx, dir);
  }
}
