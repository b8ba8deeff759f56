// Scale: POST /task latency as the queue grows (1 000 → 1 000 000 tasks) and as the farm grows
// (10 → 10 000 registered workers), serve's memory at the largest point, and how soon serve
// answers after start on the largest database.
import { type Ctx, dataDir, removeDir, Stop } from '../lib/context';
import { ABSENT_TYPES, ALL_TYPES, buildQueue, insertWorkers, sharedSecret } from '../lib/fixtures';
import { now, pool, SimWorker, type Target, UPDATE_ACTIVE, UPDATE_COMPLETED } from '../lib/loadgen';
import { assertAlive, memoryOf, type Server, timeToFirstAnswer } from '../lib/processes';
import { type LatencySummary, Recorder, round, summarize } from '../lib/stats';

interface Point {
  tasks: number;
  workers: number;
  task: LatencySummary;
}

/**
 * The measured loop: `pollers` workers do /task → update active → update completed, `warm`
 * claims first (not measured: a fresh process compiles its hot paths), then `claims` measured.
 */
async function claimLoop(pollers: SimWorker[], warm: number, claims: number): Promise<LatencySummary> {
  const warmRec = new Recorder('task warm-up');
  const rec = new Recorder('task');
  let issued = 0;
  const deadline = now() + 120_000;
  await Promise.all(
    pollers.map(async (w) => {
      while (issued < warm + claims && now() < deadline) {
        const measured = issued++ >= warm;
        const r = await w.fetchTask(measured ? rec : warmRec);
        if (r.status === 423) await ackStatusChange(w, r.body);
        else if (r.status === 200 && w.task) {
          await w.call('POST', `/tasks/${w.task}/update`, UPDATE_ACTIVE);
          await w.call('POST', `/tasks/${w.task}/update`, UPDATE_COMPLETED);
          w.task = undefined;
        } else {
          await new Promise((res) => setTimeout(res, 50));
        }
      }
    }),
  );
  return summarize(rec.slice());
}

/** Signs workers on (their first authenticated request: one scrypt verification each). */
async function warmUp(workers: SimWorker[], then?: (w: SimWorker) => void): Promise<{ ms: number; failed: number; perWorkerMs: number; statuses: Record<string, number> }> {
  const t0 = now();
  const res = await pool(workers, 8, async (w) => {
    let r = await w.signOn();
    if (r.status !== 204) r = await w.signOn();
    // From now on the worker must be heard from within the worker timeout.
    then?.(w);
    return r.status;
  });
  const ms = now() - t0;
  const statuses: Record<string, number> = {};
  for (const s of res) statuses[s] = (statuses[s] ?? 0) + 1;
  return { ms: round(ms), failed: res.filter((s) => s !== 204).length, perWorkerMs: round(ms / Math.max(1, workers.length)), statuses };
}

/** Acknowledges a requested status change (the 423 of /task), as the worker does. */
async function ackStatusChange(w: SimWorker, body: Buffer | undefined): Promise<void> {
  if (!body) return;
  const st = (JSON.parse(body.toString('utf8')) as { status_requested: string }).status_requested;
  await w.call('POST', `/ack-status-change/${st}`);
}

/** Keeps the measuring workers alive (one task every few seconds) while others warm up. */
async function keepBusy(pollers: SimWorker[], stop: Stop, periodMs: number): Promise<void> {
  await Promise.all(
    pollers.map(async (w) => {
      while (!stop.stopped) {
        await stop.sleep(periodMs * (0.5 + Math.random()));
        if (stop.stopped) return;
        const r = await w.fetchTask();
        if (r.status === 423) await ackStatusChange(w, r.body);
        else if (r.status === 200 && w.task) {
          await w.call('POST', `/tasks/${w.task}/update`, UPDATE_ACTIVE);
          await w.call('POST', `/tasks/${w.task}/update`, UPDATE_COMPLETED);
          w.task = undefined;
        }
      }
    }),
  );
}

/** An idle worker that can run nothing in the queue: asks for a task every ~period seconds. */
async function idleLoop(w: SimWorker, stop: Stop, periodMs: number, rec: Recorder): Promise<void> {
  while (!stop.stopped) {
    await stop.sleep(periodMs * (0.8 + 0.2 * Math.random()));
    if (stop.stopped) return;
    const r = await w.fetchTask(rec);
    // A status change was requested (e.g. after a timeout): acknowledge it as the worker does.
    if (r.status === 423) await ackStatusChange(w, r.body);
  }
}

export async function scale(ctx: Ctx): Promise<void> {
  const S = 'scale';
  const z = ctx.sizes;
  const r = ctx.report;
  const shared = await sharedSecret();
  const largest = Math.max(...z.scaleTasks);
  const points: Point[] = [];
  const starts: Record<string, unknown>[] = [];
  const warmups: Record<string, unknown>[] = [];
  let memory: { rssMB: number; hwmMB: number; anonMB: number; tasks: number; workers: number } | undefined;
  let restart: { firstAnswerMs: number; bannerMs: number; tasks: number; workers: number } | undefined;
  const idleRec = new Recorder('idle /task');
  /** serve's memory along the way: where does it grow? */
  const memory_timeline: Record<string, unknown>[] = [];

  for (const tasks of z.scaleTasks) {
    const dir = dataDir(ctx, `scale-${tasks}`);
    const jobs = Math.max(1, Math.ceil(tasks / z.bigJobTasks));
    ctx.log(`${S}: building ${tasks} tasks in ${jobs} job(s)`);
    const built = buildQueue(dir, tasks, jobs);
    const pollerIds = insertWorkers(dir, z.scalePollers, shared, ALL_TYPES, 'poller').workers;
    ctx.log(`${S}: queue built in ${(built.ms / 1000).toFixed(1)} s; starting serve`);
    const started = await timeToFirstAnswer(ctx.paths, dir);
    let server: Server = started.server;
    starts.push({ tasks, workers: z.scalePollers, firstAnswerMs: round(started.firstAnswerMs), bannerMs: round(started.bannerMs), buildMs: built.ms });
    const target: Target = server.target;
    const mark = (what: string) => memory_timeline.push({ tasks, what, ...memoryOf(server.pid) });
    mark('started');
    const pollers = pollerIds.map((id) => new SimWorker(target, id));
    const background: SimWorker[] = [];
    const stop = new Stop();
    const loops: Promise<void>[] = [];
    try {
      warmups.push({ tasks, workers: pollers.length, ...(await warmUp(pollers)) });
      assertAlive(server, 'warm-up');
      // A small queue must not run dry while being measured: use at most 40 % of it.
      const claims = Math.min(z.scaleClaims, Math.floor(tasks * 0.4));
      const warm = Math.min(z.scaleWarmClaims, Math.floor(tasks * 0.1));
      ctx.log(`${S}: ${tasks} tasks, ${pollers.length} workers: ${claims} measured claims`);
      points.push({ tasks, workers: pollers.length, task: await claimLoop(pollers, warm, claims) });
      assertAlive(server, `measure at ${tasks} tasks`);
      mark(`after ${claims + warm} claims by ${pollers.length} workers`);

      if (tasks === largest) {
        let have = pollers.length;
        for (const want of z.scaleWorkers.filter((w) => w > have)) {
          const added = insertWorkers(dir, want - have, shared, ABSENT_TYPES, `idle-${have}`);
          const ws = added.workers.map((id) => new SimWorker(target, id));
          background.push(...ws);
          ctx.log(`${S}: ${want} workers: warming up ${ws.length} new ones (one scrypt verification each)`);
          const busy = new Stop();
          const keeping = keepBusy(pollers, busy, 5000);
          const wu = await warmUp(ws, (w) => loops.push(idleLoop(w, stop, z.idlePollPeriodS * 1000, idleRec)));
          busy.raise();
          await keeping;
          warmups.push({ tasks, workers: ws.length, insertMs: added.ms, ...wu });
          assertAlive(server, `warm-up of ${want} workers`);
          mark(`after warm-up to ${want} workers`);
          have = want;
          ctx.log(`${S}: ${tasks} tasks, ${have} workers: ${z.scaleClaims} measured claims`);
          points.push({ tasks, workers: have, task: await claimLoop(pollers, z.scaleWarmClaims, z.scaleClaims) });
          assertAlive(server, `measure at ${have} workers`);
          mark(`after measuring with ${have} workers`);
        }
        memory = { ...memoryOf(server.pid), tasks, workers: have };
        stop.raise();
        await Promise.all(loops);
        for (const w of background) w.close();
        await new Promise((res) => setTimeout(res, 1000));
        mark(`${have} workers' connections closed`);
        for (const w of pollers) w.close();
        await server.stop();
        ctx.log(`${S}: restarting serve on the largest database (${tasks} tasks, ${have} workers)`);
        const again = await timeToFirstAnswer(ctx.paths, dir);
        server = again.server;
        restart = { firstAnswerMs: round(again.firstAnswerMs), bannerMs: round(again.bannerMs), tasks, workers: have };
      }
    } finally {
      stop.raise();
      await Promise.all(loops);
      for (const w of [...pollers, ...background]) w.close();
      await server.stop();
      removeDir(ctx, dir);
    }
  }

  // --- figures -----------------------------------------------------------------------------------
  const byTasks = points.filter((p) => p.workers === z.scalePollers);
  for (const p of byTasks) r.add(S, `/task p50 / p99, ${p.tasks.toLocaleString('en-US')} tasks`, `${p.task.p50} / ${p.task.p99}`, 'ms');
  const small = byTasks[0]!;
  const big = byTasks[byTasks.length - 1]!;
  const ratio = big.task.p50 / small.task.p50;
  r.add(S, `/task p50 ${big.tasks.toLocaleString('en-US')} ÷ ${small.tasks.toLocaleString('en-US')} tasks`, round(ratio, 2), '×', '≤ 1.5×', ratio <= 1.5);

  const byWorkers = points.filter((p) => p.tasks === largest);
  for (const p of byWorkers)
    r.add(S, `/task p50 / p99, ${p.workers.toLocaleString('en-US')} workers (${largest.toLocaleString('en-US')} tasks)`, `${p.task.p50} / ${p.task.p99}`, 'ms');
  const few = byWorkers[0]!;
  const many = byWorkers[byWorkers.length - 1]!;
  const r50 = many.task.p50 / few.task.p50;
  const r99 = many.task.p99 / few.task.p99;
  r.add(
    S,
    `/task ${many.workers.toLocaleString('en-US')} ÷ ${few.workers} workers: p50 / p99`,
    `${round(r50, 2)} / ${round(r99, 2)}`,
    '×',
    'nothing measurable: p50 ≤ 1.2×, p99 ≤ 1.5×',
    r50 <= 1.2 && r99 <= 1.5,
  );
  const badTask = points.reduce(
    (a, p) =>
      a +
      Object.entries(p.task.statuses)
        .filter(([k]) => k !== '200' && k !== '204')
        .reduce((b, [, v]) => b + v, 0),
    0,
  );
  r.add(S, 'measured /task answers other than 200/204', badTask, '', '0', badTask === 0);
  const bgWarm = warmups.filter((w) => (w.workers as number) > z.scalePollers);
  const warmMs = bgWarm.reduce((a, w) => a + (w.ms as number), 0);
  const warmN = bgWarm.reduce((a, w) => a + (w.workers as number), 0);
  const warmFailed = warmups.reduce((a, w) => a + (w.failed as number), 0);
  r.add(S, `warm-up: first authenticated request of ${warmN.toLocaleString('en-US')} workers`, warmMs / 1000, `s (${round(warmMs / Math.max(1, warmN), 1)} ms each)`);
  if (warmFailed > 0) r.add(S, 'warm-up sign-ons that failed', warmFailed, '', '0', false);

  const full = largest >= 1_000_000 && (memory?.workers ?? 0) >= 10_000;
  if (memory) {
    r.add(
      S,
      `serve RSS, ${memory.workers.toLocaleString('en-US')} workers + ${memory.tasks.toLocaleString('en-US')} tasks`,
      memory.rssMB,
      'MB',
      full ? '≤ 250 MB' : '(≤ 250 MB at 10k + 1M: full run)',
      full ? memory.rssMB <= 250 : undefined,
    );
    r.add(S, 'serve peak RSS (VmHWM) at that point', memory.hwmMB, 'MB');
    const atStart = memory_timeline.find((m) => m.tasks === memory!.tasks && m.what === 'started') as { rssMB: number } | undefined;
    const beforeWarm = [...memory_timeline].reverse().find((m) => m.tasks === memory!.tasks && String(m.what).startsWith('after ') && String(m.what).includes('claims')) as
      | { rssMB: number }
      | undefined;
    const closed = memory_timeline.find((m) => m.tasks === memory!.tasks && String(m.what).includes('closed')) as { rssMB: number } | undefined;
    r.add(S, 'serve RSS: at start / before warm-ups / after closing the idle connections', `${atStart?.rssMB} / ${beforeWarm?.rssMB} / ${closed?.rssMB}`, 'MB');
  }
  for (const s of starts) r.add(S, `start → first answer, ${(s.tasks as number).toLocaleString('en-US')} tasks`, s.firstAnswerMs as number, 'ms');
  if (restart) {
    r.add(
      S,
      `start → first answer, ${restart.tasks.toLocaleString('en-US')} tasks + ${restart.workers.toLocaleString('en-US')} workers`,
      restart.firstAnswerMs,
      'ms',
      full ? '≤ 1 000 ms' : '(≤ 1 s on the 1M database: full run)',
      full ? restart.firstAnswerMs <= 1000 : undefined,
    );
  }
  r.details.scale = { points, starts, warmups, memory, memory_timeline, restart, idleBackgroundPolls: summarize(idleRec.slice()) };
}
