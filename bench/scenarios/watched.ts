// Watched dispatch: the dispatch load of the dispatch scenario, measured in seven windows of the
// same run, without and with 50 event-stream clients and 10 dashboards open in turn. Dispatch
// cycles per second and POST /task p99 of the windows with the watchers are compared with those
// of the windows without them, which lie before, between and after.
import { type Ctx, dataDir, profileArgs, removeDir, Stop } from '../lib/context';
import { ALL_TYPES, buildQueue, RENDER_ONLY_TYPES } from '../lib/fixtures';
import { now, pool, registerOverHttp, type SimWorker } from '../lib/loadgen';
import { assertAlive, cpuTimeOf, cpuTimesOf, startServe } from '../lib/processes';
import { Recorder, round, summarize } from '../lib/stats';
import { startWatchers, type WatcherFigures, type WatcherProcess } from '../lib/watchers';
import { runWorkerLoops } from '../lib/worker-loop';

const STREAMS = Number(process.env.W_STREAMS ?? 50);
const DASHBOARDS = Number(process.env.W_DASH ?? 10);
/** Windows with the watchers (full run, quick run); there is one more without: first, between and last. */
const PAIRS = { full: 5, quick: 2 };
/** Time given to the streams to open (or close) and to the dashboards' first requests, before a window. */
const SETTLE_MS = 1000;

type Kind = 'without' | 'with';
interface Window {
  kind: Kind;
  from: number;
  to: number;
  /** The window on the monotonic clock, µs (that of CPU profiles, to split serve's profile by window). */
  monoUs: [number, number];
  /** CPU time per ms of the window (1 = one core), of serve (all threads), the generator and the watchers. */
  cpu: { serve: number; serveMain: number; serveKernel: number; generator: number; watchers: number };
}

/** CPU time of this process (the load generator), ms. */
function generatorCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export async function watched(ctx: Ctx): Promise<void> {
  const S = 'watched dispatch';
  const z = ctx.sizes;
  const windowMs = ctx.quick ? 2000 : 3000;
  const pairs = ctx.quick ? PAIRS.quick : PAIRS.full;
  const dir = dataDir(ctx, 'watched');
  ctx.log(`${S}: building ${z.dispatchTasks} tasks in ${z.dispatchJobs} jobs`);
  buildQueue(dir, z.dispatchTasks, z.dispatchJobs);
  const server = await startServe(ctx.paths, { dataDir: dir, nodeArgs: profileArgs(ctx, 'watched') });
  const recs = { task: new Recorder('task'), active: new Recorder('update active'), completed: new Recorder('update completed'), cycles: new Recorder('cycle') };
  let workers: SimWorker[] = [];
  let watchers: WatcherProcess | undefined;
  try {
    workers = await pool(
      Array.from({ length: z.dispatchWorkers }, (_, i) => i),
      8,
      (i) => registerOverHttp(server.target, `render-node-${i}`, i % 4 === 3 ? RENDER_ONLY_TYPES : ALL_TYPES),
    );
    if ((await Promise.all(workers.map((w) => w.signOn()))).some((r) => r.status !== 204)) throw new Error('sign-on failed');
    const stop = new Stop();
    const loops = runWorkerLoops(workers, recs, stop, now() + z.dispatchWarmMs + (2 * pairs + 1) * (windowMs + SETTLE_MS) + 120_000);
    // Windows without and with the watchers, alternating, each after a settling second: the
    // machine's drift over the run (the queue, the page cache, JIT) falls on both kinds alike.
    const kinds = Array.from({ length: 2 * pairs + 1 }, (_, i) => (i % 2 === 1 ? 'with' : 'without'));
    const windows: Window[] = [];
    await stop.sleep(z.dispatchWarmMs);
    watchers = await startWatchers(ctx.paths, server.target, STREAMS, DASHBOARDS);
    ctx.log(`${S}: ${kinds.length} windows of ${windowMs / 1000} s, without and with ${STREAMS} event streams and ${DASHBOARDS} dashboards in turn`);
    for (const kind of kinds) {
      if (kind === 'with') await watchers.open();
      else if (windows.length > 0) await watchers.close();
      await stop.sleep(SETTLE_MS);
      const from = now();
      const mono0 = process.hrtime.bigint();
      const c0 = {
        serve: cpuTimeOf(server.pid),
        watchers: cpuTimeOf(watchers.pid),
        generator: generatorCpuMs(),
        main: cpuTimeOf(server.pid, server.pid),
        sys: cpuTimesOf(server.pid).system,
      };
      await stop.sleep(windowMs);
      const to = now();
      const ms = to - from;
      windows.push({
        kind,
        from,
        to,
        monoUs: [Number(mono0 / 1000n), Number(process.hrtime.bigint() / 1000n)],
        cpu: {
          serve: (cpuTimeOf(server.pid) - c0.serve) / ms,
          serveMain: (cpuTimeOf(server.pid, server.pid) - c0.main) / ms,
          serveKernel: (cpuTimesOf(server.pid).system - c0.sys) / ms,
          watchers: (cpuTimeOf(watchers.pid) - c0.watchers) / ms,
          generator: (generatorCpuMs() - c0.generator) / ms,
        },
      });
    }
    const st: WatcherFigures = await watchers.stop();
    watchers = undefined;
    // Only the dashboards read these routes: what serve itself took to answer them.
    const served = dashboardRoutes(await (await fetch(`http://${server.target.host}:${server.target.port}/metrics`)).text());
    stop.raise();
    await loops;
    assertAlive(server, S);

    // --- figures ---------------------------------------------------------------------------------
    const of = (kind: Kind) => windows.filter((w) => w.kind === kind);
    const seconds = (ws: Window[]) => ws.reduce((t, w) => t + w.to - w.from, 0) / 1000;
    const cyclesIn = (ws: Window[]) => ws.reduce((n, w) => n + recs.cycles.slice(w.from, w.to).filter((c) => c.start + c.ms <= w.to).length, 0);
    const taskIn = (ws: Window[]) => summarize(ws.flatMap((w) => recs.task.slice(w.from, w.to)));
    /** CPU of one process over the windows, in % of a core. */
    const cpuIn = (ws: Window[], who: keyof Window['cpu']) => (ws.reduce((t, w) => t + w.cpu[who] * (w.to - w.from), 0) / (seconds(ws) * 1000)) * 100;
    const figures = (kind: Kind) => {
      const ws = of(kind);
      const cycles = cyclesIn(ws);
      return {
        windows: ws.length,
        cycles: cycles / seconds(ws),
        task: taskIn(ws),
        cpu: { serve: cpuIn(ws, 'serve'), generator: cpuIn(ws, 'generator'), watchers: cpuIn(ws, 'watchers') },
        /** ms of serve's CPU (all threads) per dispatch cycle. */
        servePerCycle: (cpuIn(ws, 'serve') * 10 * seconds(ws)) / Math.max(1, cycles),
      };
    };
    const without = figures('without');
    const withW = figures('with');
    const cycleRatio = withW.cycles / without.cycles;
    const p99Ratio = withW.task.p99 / without.task.p99;
    const dash = st.dashboardLatency;
    const pct = (x: number) => round(x, 1);

    const r = ctx.report;
    r.add(S, 'windows without / with (alternating)', `${without.windows} / ${withW.windows} × ${windowMs / 1000}`, 's');
    r.add(S, 'cycles/s without watchers / with', `${round(without.cycles, 1)} / ${round(withW.cycles, 1)}`, 'cycles/s');
    r.add(S, 'cycles/s with ÷ without', round(cycleRatio * 100, 1), '%', '≥ 90 %', cycleRatio >= 0.9);
    r.add(S, 'POST /task p99 without / with', `${round(without.task.p99, 1)} / ${round(withW.task.p99, 1)}`, 'ms');
    r.add(S, 'POST /task p99 with ÷ without', round(p99Ratio * 100, 1), '%', '≤ 110 %', p99Ratio <= 1.1);
    // Less noisy than the rates on a shared machine: what a cycle costs serve, with and without.
    r.add(S, 'serve CPU per cycle without / with', `${round(without.servePerCycle, 3)} / ${round(withW.servePerCycle, 3)}`, 'ms');
    r.add(S, 'CPU without: serve / generator', `${pct(without.cpu.serve)} / ${pct(without.cpu.generator)}`, '% of a core');
    r.add(S, 'CPU with: serve / generator / watchers', `${pct(withW.cpu.serve)} / ${pct(withW.cpu.generator)} / ${pct(withW.cpu.watchers)}`, '% of a core');
    const perS = (n: number, clients: number) => Math.round(n / Math.max(1, clients) / seconds(of('with')));
    r.add(
      S,
      'streams open / events per s to each bare stream / frames per s to each dashboard',
      `${round(st.streams / withW.windows)} / ${perS(st.events, STREAMS)} / ${perS(st.frames, DASHBOARDS)}`,
    );
    r.add(S, 'streams dropped (resync) / lost', `${st.resyncs} / ${st.lost}`);
    r.add(
      S,
      'dashboard requests (jobs list, farm summary) per second / p99 as the dashboards saw it',
      `${round(st.dashboardRequests / seconds(of('with')), 1)} / ${round(dash.p99, 1)}`,
      'req/s / ms',
    );
    r.add(
      S,
      'dashboard requests on a connection open already, as the dashboards saw them: count / p50 / p99',
      `${st.steadyLatency.count} / ${round(st.steadyLatency.p50, 1)} / ${round(st.steadyLatency.p99, 1)}`,
      '- / ms / ms',
    );
    r.add(S, 'dashboard requests in serve (arrival to answer): mean / p99 at most', `${round(served.meanMs, 2)} / ${served.p99AtMostMs}`, 'ms');
    r.add(S, 'stream opens: p50 / p99', `${round(st.streamOpenLatency.p50, 1)} / ${round(st.streamOpenLatency.p99, 1)}`, 'ms');
    r.add(S, "watchers process's own event-loop delay p99 / max", `${round(st.ownDelayP99, 1)} / ${round(st.ownDelayMax, 1)}`, 'ms');
    r.details.watched = {
      windowMs,
      windows: windows.map((w) => ({ kind: w.kind, monoUs: w.monoUs, cycles: cyclesIn([w]) / seconds([w]), task: taskIn([w]).p99, cpu: w.cpu })),
      streams: STREAMS,
      dashboards: DASHBOARDS,
      without: { cyclesPerS: round(without.cycles), task: without.task, cpu: without.cpu, servePerCycle: without.servePerCycle },
      with: { cyclesPerS: round(withW.cycles), task: withW.task, cpu: withW.cpu, servePerCycle: withW.servePerCycle },
      cycleRatio: round(cycleRatio),
      p99Ratio: round(p99Ratio),
      watchers: {
        streams: st.streams,
        events: st.events,
        frames: st.frames,
        bytes: st.bytes,
        resyncs: st.resyncs,
        lost: st.lost,
        dashboardRequests: dash,
        steadyRequests: st.steadyLatency,
        ownDelayP99: st.ownDelayP99,
        ownDelayMax: st.ownDelayMax,
      },
      dashboardRequestsInServe: served,
    };
  } finally {
    await watchers?.stop().catch(() => undefined);
    for (const w of workers) w.close();
    await server.stop();
    removeDir(ctx, dir);
  }
}

/**
 * The dashboards' requests (GET /api/jobs and /api/farm) from serve's request-duration histogram
 * in /metrics: their mean, and the smallest bucket bound under which 99 % of them were answered.
 */
function dashboardRoutes(metrics: string): { count: number; meanMs: number; p99AtMostMs: number | string } {
  const buckets = new Map<string, number>();
  let count = 0;
  let sum = 0;
  const routes = /method="GET",route="\/api\/(?:jobs|farm)"/;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('flamenco_http_request_duration_seconds') || !routes.test(line)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('flamenco_http_request_duration_seconds_sum')) sum += value;
    else if (line.startsWith('flamenco_http_request_duration_seconds_count')) count += value;
    else {
      const le = /le="([^"]+)"/.exec(line)?.[1] ?? '';
      buckets.set(le, (buckets.get(le) ?? 0) + value);
    }
  }
  const bound = [...buckets]
    .filter(([le]) => le !== '+Inf')
    .sort(([a], [b]) => Number(a) - Number(b))
    .find(([, n]) => n >= 0.99 * count);
  return { count, meanMs: count > 0 ? (sum / count) * 1000 : 0, p99AtMostMs: bound ? Number(bound[0]) * 1000 : 'over 10 000' };
}
