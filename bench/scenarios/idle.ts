// Idle poll: N workers polling POST /task on an empty queue (→ 204), against serve and against a
// bare node:http server that answers 204 (the baseline), with the same load generator.
import { type Ctx, dataDir, profileArgs, removeDir } from '../lib/context';
import { now, pool, randomSecret, registerOverHttp, SimWorker, type Target } from '../lib/loadgen';
import { assertAlive, cpuTimeOf, memoryOf, type Server, startBaseline, startServe } from '../lib/processes';
import { Recorder, round, summarize } from '../lib/stats';
import { ALL_TYPES } from '../lib/fixtures';

interface PollResult {
  reqPerS: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  serverCpuPct: number;
  generatorCpuPct: number;
}

/** Every worker polls /task back to back; figures over the window after the warm-up. */
async function pollLoop(workers: SimWorker[], server: Server, warmMs: number, measureMs: number): Promise<PollResult> {
  const rec = new Recorder('task');
  const t0 = now();
  const warmEnd = t0 + warmMs;
  const stopAt = warmEnd + measureMs;
  let cpu0 = NaN;
  let gen0 = process.cpuUsage();
  const mark = setTimeout(() => {
    cpu0 = cpuTimeOf(server.pid);
    gen0 = process.cpuUsage();
  }, warmMs);
  await Promise.all(
    workers.map(async (w) => {
      while (now() < stopAt) await w.call('POST', '/task', undefined, rec);
    }),
  );
  clearTimeout(mark);
  const cpu1 = cpuTimeOf(server.pid);
  const gen = process.cpuUsage(gen0);
  const s = summarize(rec.slice(warmEnd, stopAt));
  return {
    reqPerS: s.count / (measureMs / 1000),
    p50: s.p50,
    p99: s.p99,
    max: s.max,
    statuses: s.statuses,
    serverCpuPct: round(((cpu1 - cpu0) / measureMs) * 100, 1),
    generatorCpuPct: round(((gen.user + gen.system) / 1000 / measureMs) * 100, 1),
  };
}

async function baselineRun(ctx: Ctx, n: number): Promise<PollResult> {
  const server = await startBaseline(ctx.paths);
  const fakeId = (i: number) => (0x65000000 + i).toString(16).padStart(8, '0') + '0123456789abcdef';
  const workers = Array.from(
    { length: n },
    (_, i) => new SimWorker(server.target, { id: fakeId(i), secret: randomSecret(), nickname: `w${i}`, types: ALL_TYPES, platform: 'linux' }),
  );
  try {
    return await pollLoop(workers, server, ctx.sizes.idleWarmMs, ctx.sizes.idleMeasureMs);
  } finally {
    for (const w of workers) w.close();
    await server.stop();
  }
}

export async function idlePoll(ctx: Ctx): Promise<void> {
  const { idleWorkers: n } = ctx.sizes;
  const S = 'idle poll';
  ctx.log(`${S}: baseline (bare node:http, 204) with ${n} workers`);
  const before = await baselineRun(ctx, n);

  ctx.log(`${S}: serve, registering ${n} workers over HTTP`);
  const dir = dataDir(ctx, 'idle');
  const server = await startServe(ctx.paths, { dataDir: dir, nodeArgs: profileArgs(ctx, 'idle') });
  let result: PollResult;
  let registerMs: number;
  try {
    const target: Target = server.target;
    const t0 = now();
    const workers = await pool(
      Array.from({ length: n }, (_, i) => i),
      8,
      (i) => registerOverHttp(target, `idle-${i}`, ALL_TYPES),
    );
    registerMs = now() - t0;
    const signOn = await Promise.all(workers.map((w) => w.signOn()));
    const badSignOn = signOn.filter((r) => r.status !== 204).length;
    if (badSignOn) throw new Error(`${badSignOn} sign-ons failed`);
    ctx.log(`${S}: serve, ${n} workers polling an empty queue`);
    result = await pollLoop(workers, server, ctx.sizes.idleWarmMs, ctx.sizes.idleMeasureMs);
    ctx.report.details.idle_serve_memory = memoryOf(server.pid);
    assertAlive(server, 'idle poll');
    for (const w of workers) w.close();
  } finally {
    await server.stop();
    removeDir(ctx, dir);
  }

  ctx.log(`${S}: baseline again (the machine is shared: bracket serve between two baselines)`);
  const after = await baselineRun(ctx, n);
  const baseRate = (before.reqPerS + after.reqPerS) / 2;
  const ratio = result.reqPerS / baseRate;

  const r = ctx.report;
  r.add(S, `workers`, n);
  r.add(S, 'baseline req/s (mean of before/after)', baseRate, 'req/s');
  ctx.baselineReqPerS = baseRate;
  r.add(S, 'baseline p50 / p99', `${before.p50} / ${before.p99}`, 'ms');
  r.add(S, 'serve req/s', result.reqPerS, 'req/s');
  r.add(S, 'serve /task p50', result.p50, 'ms');
  r.add(S, 'serve /task p99', result.p99, 'ms');
  r.add(S, 'serve / baseline req/s', Math.round(ratio * 1000) / 10, '%', '≥ 90 %', ratio >= 0.9);
  const non204 = Object.entries(result.statuses).filter(([k]) => k !== '204');
  r.add(
    S,
    'answers other than 204',
    non204.reduce((a, [, v]) => a + v, 0),
    '',
    '0',
    non204.length === 0,
  );
  r.add(S, 'serve CPU / generator CPU', `${result.serverCpuPct} / ${result.generatorCpuPct}`, '% of a core');
  r.details.idle = { workers: n, registerMs: round(registerMs), baselineBefore: before, baselineAfter: after, serve: result };
}
