// Watched dispatch: the dispatch load of the dispatch scenario, measured in three windows of the
// same run: without watchers, with 50 event-stream clients and 10 dashboards open, and without
// them again. Dispatch cycles per second and POST /task p99 with the watchers are compared with
// the two windows around them (which also cancels a slow drift of the machine over the run).
import { type Ctx, dataDir, profileArgs, removeDir, Stop } from '../lib/context';
import { ALL_TYPES, buildQueue, RENDER_ONLY_TYPES } from '../lib/fixtures';
import { now, pool, registerOverHttp, type SimWorker } from '../lib/loadgen';
import { assertAlive, cpuTimeOf, startServe } from '../lib/processes';
import { Recorder, round, summarize } from '../lib/stats';
import { startWatchers, type WatcherFigures } from '../lib/watchers';
import { runWorkerLoops } from '../lib/worker-loop';

const STREAMS = Number(process.env.W_STREAMS ?? 50);
const DASHBOARDS = Number(process.env.W_DASH ?? 10);

export async function watched(ctx: Ctx): Promise<void> {
  const S = 'watched dispatch';
  const z = ctx.sizes;
  const windowMs = ctx.quick ? 4000 : 10_000;
  const dir = dataDir(ctx, 'watched');
  ctx.log(`${S}: building ${z.dispatchTasks} tasks in ${z.dispatchJobs} jobs`);
  buildQueue(dir, z.dispatchTasks, z.dispatchJobs);
  const server = await startServe(ctx.paths, { dataDir: dir, nodeArgs: profileArgs(ctx, 'watched') });
  const recs = { task: new Recorder('task'), active: new Recorder('update active'), completed: new Recorder('update completed'), cycles: new Recorder('cycle') };
  let workers: SimWorker[] = [];
  let watchers: Awaited<ReturnType<typeof startWatchers>> | undefined;
  try {
    workers = await pool(
      Array.from({ length: z.dispatchWorkers }, (_, i) => i),
      8,
      (i) => registerOverHttp(server.target, `render-node-${i}`, i % 4 === 3 ? RENDER_ONLY_TYPES : ALL_TYPES),
    );
    if ((await Promise.all(workers.map((w) => w.signOn()))).some((r) => r.status !== 204)) throw new Error('sign-on failed');
    const stop = new Stop();
    const loops = runWorkerLoops(workers, recs, stop, now() + z.dispatchWarmMs + 3 * windowMs + 120_000);
    const windows: { from: number; to: number }[] = [];
    const cpu: number[] = [];
    /** Measures one window from now; `during` runs first (its start-up is not in the window). */
    const measure = async () => {
      const from = now();
      const c0 = cpuTimeOf(server.pid);
      await stop.sleep(windowMs);
      windows.push({ from, to: now() });
      cpu.push((cpuTimeOf(server.pid) - c0) / (now() - from));
    };
    await stop.sleep(z.dispatchWarmMs);
    ctx.log(`${S}: without watchers`);
    await measure();
    ctx.log(`${S}: with ${STREAMS} event streams and ${DASHBOARDS} dashboards`);
    watchers = await startWatchers(ctx.paths, server.target, STREAMS, DASHBOARDS);
    // Let the streams open and the dashboards make their first requests.
    await stop.sleep(1000);
    await measure();
    const st: WatcherFigures = await watchers.stop();
    watchers = undefined;
    ctx.log(`${S}: without watchers again`);
    await stop.sleep(1000);
    await measure();
    stop.raise();
    await loops;
    assertAlive(server, S);
    const [a1, b, a2] = windows;

    // --- figures ---------------------------------------------------------------------------------
    const cyclesIn = (ws: { from: number; to: number }[]) =>
      ws.reduce((n, w) => n + recs.cycles.slice(w.from, w.to).filter((s) => s.start + s.ms <= w.to).length, 0) / (ws.reduce((t, w) => t + w.to - w.from, 0) / 1000);
    const taskIn = (ws: { from: number; to: number }[]) => summarize(ws.flatMap((w) => recs.task.slice(w.from, w.to)));
    const without = { cycles: cyclesIn([a1!, a2!]), task: taskIn([a1!, a2!]) };
    const withW = { cycles: cyclesIn([b!]), task: taskIn([b!]) };
    const cycleRatio = withW.cycles / without.cycles;
    const p99Ratio = withW.task.p99 / without.task.p99;
    const dash = st.dashboardLatency;
    const serveCpu = (i: number) => round(cpu[i]! * 100, 1);

    const r = ctx.report;
    r.add(S, 'windows (without / with / without)', `${windowMs / 1000} / ${windowMs / 1000} / ${windowMs / 1000}`, 's');
    r.add(S, 'cycles/s without watchers (both windows) / with', `${round(without.cycles, 1)} / ${round(withW.cycles, 1)}`, 'cycles/s');
    r.add(S, 'cycles/s with ÷ without', round(cycleRatio * 100, 1), '%', '≥ 90 %', cycleRatio >= 0.9);
    r.add(S, 'POST /task p99 without / with', `${without.task.p99} / ${withW.task.p99}`, 'ms');
    r.add(S, 'POST /task p99 with ÷ without', round(p99Ratio * 100, 1), '%', '≤ 110 %', p99Ratio <= 1.1);
    r.add(S, 'serve CPU per window (without / with / without)', `${serveCpu(0)} / ${serveCpu(1)} / ${serveCpu(2)}`, '% of a core');
    // Less noisy than the rates on a shared machine: what a cycle costs serve, with and without.
    const perCycle = (i: number, c: number) => round((cpu[i]! * 1000) / c, 3);
    const cycleCount = (w: { from: number; to: number }) => recs.cycles.slice(w.from, w.to).filter((x) => x.start + x.ms <= w.to).length / ((w.to - w.from) / 1000);
    r.add(S, 'serve CPU per cycle without / with / without', `${perCycle(0, cycleCount(a1!))} / ${perCycle(1, cycleCount(b!))} / ${perCycle(2, cycleCount(a2!))}`, 'ms');
    r.add(S, 'event streams open / events received per stream / resyncs / lost', `${st.streams} / ${Math.round(st.events / Math.max(1, st.streams))} / ${st.resyncs} / ${st.lost}`);
    r.add(S, 'dashboard requests (jobs list, farm summary) per second / p99', `${round(st.dashboardRequests / (windowMs / 1000), 1)} / ${dash.p99}`, 'req/s / ms');
    r.details.watched = {
      windowMs,
      streams: STREAMS,
      dashboards: DASHBOARDS,
      without: { cyclesPerS: round(without.cycles), task: without.task },
      with: { cyclesPerS: round(withW.cycles), task: withW.task },
      cycleRatio: round(cycleRatio),
      p99Ratio: round(p99Ratio),
      watchers: { streams: st.streams, events: st.events, bytes: st.bytes, resyncs: st.resyncs, lost: st.lost, dashboardRequests: dash },
    };
  } finally {
    await watchers?.stop().catch(() => undefined);
    for (const w of workers) w.close();
    await server.stop();
    removeDir(ctx, dir);
  }
}
