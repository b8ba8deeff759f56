// Cost: what one dispatch cycle and one idle poll cost serve, measured with a fixed, bounded
// request script instead of a rate, so that the figures hold on a loaded machine: serve's CPU
// time per cycle (main thread, from /proc) against the bare node:http server's per request under
// the same script, and the SQL statements per cycle (serve run with FLAMENCO_MGR_COUNT_STATEMENTS=1,
// read from /metrics). Counting statements costs serve some time, so the CPU figures here are a
// little above the dispatch scenario's.
import { type Ctx, dataDir, removeDir } from '../lib/context';
import { ALL_TYPES, buildQueue, F3_ALL_TYPES } from '../lib/fixtures';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { pool, randomSecret, registerF3OverHttp, registerOverHttp, request, SimWorker, type Target, UPDATE_ACTIVE, UPDATE_COMPLETED } from '../lib/loadgen';
import { assertAlive, type Server, startBaseline, startServe } from '../lib/processes';
import { median, Recorder, round } from '../lib/stats';

/** Workers that poll for types no queued task has: every poll looks at four types, as in the idle scenario. */
const ABSENT_FOUR = ['absent-a', 'absent-b', 'absent-c', 'absent-d'];

interface Script {
  workers: number;
  cycles: number;
  polls: number;
}

const FULL_SCRIPT: Script = { workers: 8, cycles: 150, polls: 600 };
const QUICK_SCRIPT: Script = { workers: 8, cycles: 80, polls: 400 };

/** Readings of /metrics go over a connection of their own. */
let metricsAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function statements(t: Target): Promise<number> {
  const r = await request(metricsAgent, t, 'GET', '/metrics', {}, undefined, true);
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  // A build without the counter (an older one, run with --cli) has no such line.
  const m = /^flamenco_sql_statements_total (\d+)$/m.exec(r.body?.toString('utf8') ?? '');
  return m ? Number(m[1]) : Number.NaN;
}

async function cycle(w: SimWorker): Promise<void> {
  const r = await w.fetchTask();
  if (r.status !== 200 || !w.task) throw new Error(`/task answered ${r.status} where a task was expected`);
  const a = await w.call('POST', `/tasks/${w.task}/update`, UPDATE_ACTIVE);
  const c = await w.call('POST', `/tasks/${w.task}/update`, UPDATE_COMPLETED);
  if (a.status !== 204 || c.status !== 204) throw new Error(`updates answered ${a.status} / ${c.status}`);
  w.task = undefined;
}

/** CPU ms a thread has run, from its schedstat (nanoseconds, unlike /proc/<pid>/stat's 10 ms ticks). */
function runMs(pid: number, tid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return 0;
  }
}

/** CPU ms of the main thread and of all threads of a process so far. */
function cpuOf(pid: number): { main: number; all: number } {
  let all = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) all += runMs(pid, Number(tid));
  return { main: runMs(pid, pid), all };
}

/** CPU ms of `server` (main thread, all threads) spent while fn runs, divided by n. */
async function cpuPer(server: Server, n: number, fn: () => Promise<unknown>): Promise<{ main: number; all: number }> {
  const a = cpuOf(server.pid);
  await fn();
  const b = cpuOf(server.pid);
  return { main: (b.main - a.main) / n, all: (b.all - a.all) / n };
}

interface ScriptResult {
  perRequest: { task: number[]; active: number[]; completed: number[]; idle: number[] };
  stmtPerCycle: number;
  /** The same for Flamenco 3 workers' cycles (started, log, step, completed); NaN unless counting. */
  stmtPerV3Cycle: number;
  stmtPerPoll: number;
  cycle: { main: number; all: number };
  poll: { main: number; all: number };
}

/** The script against one serve; statements are NaN unless `counting`. */
async function runScript(ctx: Ctx, sc: Script, counting: boolean): Promise<ScriptResult> {
  const dir = dataDir(ctx, counting ? 'cost-counted' : 'cost');
  // Room for the Flamenco 3 workers' cycles too when counting (exr-merge tasks are not theirs).
  buildQueue(dir, (counting ? 3 : 1) * sc.workers * (sc.cycles + 30) + 200, 10);
  const server = await startServe(ctx.paths, { dataDir: dir, env: counting ? { FLAMENCO_MGR_COUNT_STATEMENTS: '1' } : {} });
  let workers: SimWorker[] = [];
  let idle: SimWorker[] = [];
  metricsAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const t = server.target;
    workers = await pool(
      Array.from({ length: sc.workers }, (_, i) => i),
      4,
      (i) => registerOverHttp(t, `cost-${i}`, ALL_TYPES),
    );
    idle = await pool(
      Array.from({ length: sc.workers }, (_, i) => i),
      4,
      (i) => registerOverHttp(t, `cost-idle-${i}`, ABSENT_FOUR),
    );
    for (const w of [...workers, ...idle]) if ((await w.signOn()).status !== 204) throw new Error('sign-on failed');
    // A scrape's own statements, to take off each difference of two readings.
    await statements(t);
    const s1 = await statements(t);
    const scrape = (await statements(t)) - s1;

    // Warm-up: every worker runs cycles, then polls, until the JIT has seen it all.
    await Promise.all(
      workers.map(async (w) => {
        for (let i = 0; i < 20; i++) await cycle(w);
      }),
    );
    await Promise.all(
      idle.map(async (w) => {
        for (let i = 0; i < 50; i++) await w.call('POST', '/task');
      }),
    );

    // Statements of each request of a cycle, one worker alone (nothing shares its commit).
    const per: ScriptResult['perRequest'] = { task: [], active: [], completed: [], idle: [] };
    const w0 = workers[0]!;
    for (let i = 0; i < 9; i++) {
      const a = await statements(t);
      await w0.fetchTask();
      const b = await statements(t);
      await w0.call('POST', `/tasks/${w0.task}/update`, UPDATE_ACTIVE);
      const c = await statements(t);
      await w0.call('POST', `/tasks/${w0.task}/update`, UPDATE_COMPLETED);
      const d = await statements(t);
      await idle[0]!.call('POST', '/task');
      const e = await statements(t);
      w0.task = undefined;
      per.task.push(b - a - scrape);
      per.active.push(c - b - scrape);
      per.completed.push(d - c - scrape);
      per.idle.push(e - d - scrape);
    }

    // CPU and statements per cycle with every worker at work (commits shared as under load).
    const n = sc.workers * sc.cycles;
    const st0 = await statements(t);
    const cyc = await cpuPer(server, n, () =>
      Promise.all(
        workers.map(async (w) => {
          for (let i = 0; i < sc.cycles; i++) await cycle(w);
        }),
      ),
    );
    const stmtPerCycle = ((await statements(t)) - st0 - scrape) / n;
    const polls = sc.workers * sc.polls;
    const st1 = await statements(t);
    const poll = await cpuPer(server, polls, () =>
      Promise.all(
        idle.map(async (w) => {
          for (let i = 0; i < sc.polls; i++) await w.call('POST', '/task');
        }),
      ),
    );
    const stmtPerPoll = ((await statements(t)) - st1 - scrape) / polls;
    const stmtPerV3Cycle = counting ? await v3Statements(t, sc, scrape) : Number.NaN;
    assertAlive(server, 'cost');
    return { perRequest: per, stmtPerCycle, stmtPerV3Cycle, stmtPerPoll, cycle: cyc, poll };
  } finally {
    for (const w of [...workers, ...idle]) w.close();
    metricsAgent.destroy();
    await server.stop();
    removeDir(ctx, dir);
  }
}

/** Statements per Flamenco 3 cycle with as many Flamenco 3 workers at work as the script's (commits shared). */
async function v3Statements(t: Target, sc: Script, scrape: number): Promise<number> {
  const f3 = await pool(
    Array.from({ length: sc.workers }, (_, i) => i),
    4,
    (i) => registerF3OverHttp(t, `cost-f3-${i}`, F3_ALL_TYPES),
  );
  const recs = { active: new Recorder('active'), completed: new Recorder('completed') };
  const v3cycle = async (w: SimWorker) => {
    const r = await w.fetchTask();
    if (r.status !== 200 || !w.task) throw new Error(`Flamenco 3 /task answered ${r.status} where a task was expected`);
    const c = await w.runTask(w.task, recs);
    if (c.status !== 204) throw new Error(`Flamenco 3 update answered ${c.status}`);
    w.task = undefined;
  };
  try {
    for (const w of f3) if ((await w.signOn()).status !== 204) throw new Error('Flamenco 3 sign-on failed');
    const cycles = Math.ceil(sc.cycles / 2);
    await Promise.all(f3.map(async (w) => v3cycle(w)));
    const st = await statements(t);
    await Promise.all(
      f3.map(async (w) => {
        for (let i = 0; i < cycles; i++) await v3cycle(w);
      }),
    );
    return ((await statements(t)) - st - scrape) / (f3.length * cycles);
  } finally {
    for (const w of f3) w.close();
  }
}

/**
 * The bare server under the same script: as many clients, each polling (no body) as the idle
 * workers do, then running cycles of the same three requests and bodies as the workers.
 */
async function bareScript(ctx: Ctx, sc: Script): Promise<{ poll: { main: number; all: number }; cycle: { main: number; all: number } }> {
  const base = await startBaseline(ctx.paths);
  const bare = Array.from(
    { length: sc.workers },
    (_, i) => new SimWorker(base.target, { id: `${i}`, secret: randomSecret(), nickname: `b${i}`, types: ALL_TYPES, platform: 'linux' }),
  );
  const id = '0123456789abcdef01234567';
  const bareCycle = async (w: SimWorker) => {
    await w.call('POST', '/task');
    await w.call('POST', `/tasks/${id}/update`, UPDATE_ACTIVE);
    await w.call('POST', `/tasks/${id}/update`, UPDATE_COMPLETED);
  };
  try {
    await Promise.all(
      bare.map(async (w) => {
        for (let i = 0; i < 50; i++) await bareCycle(w);
      }),
    );
    const poll = await cpuPer(base, sc.workers * sc.polls, () =>
      Promise.all(
        bare.map(async (w) => {
          for (let i = 0; i < sc.polls; i++) await w.call('POST', '/task');
        }),
      ),
    );
    const cycle = await cpuPer(base, sc.workers * sc.cycles, () =>
      Promise.all(
        bare.map(async (w) => {
          for (let i = 0; i < sc.cycles; i++) await bareCycle(w);
        }),
      ),
    );
    return { poll, cycle };
  } finally {
    for (const w of bare) w.close();
    await base.stop();
  }
}

export async function cost(ctx: Ctx): Promise<void> {
  const S = 'cost';
  const sc = ctx.quick ? QUICK_SCRIPT : FULL_SCRIPT;
  // CPU without the statement counter, then statements with it.
  const cpu = await runScript(ctx, sc, false);
  const bare = await bareScript(ctx, sc);
  const counted = await runScript(ctx, sc, true);
  const r = ctx.report;
  const med = (xs: number[]) => round(median(xs), 1);
  const per = counted.perRequest;
  r.add(S, 'script', `${sc.workers} workers × ${sc.cycles} cycles; ${sc.workers} idle workers × ${sc.polls} polls`);
  r.add(
    S,
    'SQL statements: /task claim / update active / update completed / idle /task (one worker alone)',
    `${med(per.task)} / ${med(per.active)} / ${med(per.completed)} / ${med(per.idle)}`,
  );
  r.add(S, `SQL statements per full cycle (${sc.workers} workers, commits shared)`, round(counted.stmtPerCycle, 1));
  r.add(S, `SQL statements per Flamenco 3 cycle (${sc.workers} workers, commits shared)`, round(counted.stmtPerV3Cycle, 1));
  r.add(S, 'SQL statements per idle poll', round(counted.stmtPerPoll, 1));
  r.add(S, 'serve CPU per full cycle: main thread / all threads', `${round(cpu.cycle.main, 3)} / ${round(cpu.cycle.all, 3)}`, 'ms');
  r.add(S, 'serve CPU per idle poll: main thread / all threads', `${round(cpu.poll.main * 1000, 1)} / ${round(cpu.poll.all * 1000, 1)}`, 'µs');
  r.add(S, 'bare server CPU per poll / per cycle of the same three requests', `${round(bare.poll.main * 1000, 1)} µs / ${round(bare.cycle.main, 3)} ms`);
  // Were serve alone CPU-bound, its rate as a share of the bare server's.
  r.add(S, 'bare server ÷ serve main-thread CPU per cycle', round((bare.cycle.main / cpu.cycle.main) * 100, 1), '%');
  r.add(S, 'bare server ÷ serve main-thread CPU per idle poll', round((bare.poll.main / cpu.poll.main) * 100, 1), '%');
  r.details.cost = { script: sc, counted, uncounted: cpu, bareRequestCpuMs: bare };
}
