// What each kind of worker request costs serve, Flamenco Worker 2.5's cycle against Flamenco 3's:
// SQL statements, task-log writes and farm events per request (exact), and serve's main-thread CPU
// per request and per task (the median of alternating rounds, so that the machine's load hits both
// alike). The manager runs in this process's main thread with a real SQLite file and a real HTTP
// server; the two workers run in a worker thread, so their CPU is not counted as serve's.
// `node bench/request-cost.mjs [--tasks n] [--rounds r] [--only v2|v3]`.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { defaultConfig } from '../src/core/support/config';
import { Manager } from '../src/core/manager';
import { openDatabase } from '../src/db/open';
import { createManagerServer } from '../src/http/app';
import { UPDATE_ACTIVE, UPDATE_COMPLETED, UPDATE_V3_COMPLETED, UPDATE_V3_LOG, UPDATE_V3_STARTED, UPDATE_V3_STEP } from './lib/loadgen';

const LABEL = 'x-cost-label';

interface Sample {
  cpuUs: number;
  statements: number;
  logWrites: number;
  events: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function serveSide(): Promise<void> {
  const tasksPerRound = arg('--tasks', 200);
  const rounds = arg('--rounds', 7);
  const dir = mkdtempSync(path.join(tmpdir(), 'flamenco-mgr-request-cost-'));
  const db = openDatabase(dir);
  const m = new Manager({ db, dataDir: dir, config: { ...defaultConfig(), max_tasks_per_job: 1_000_000 } });
  // The same queue whatever the run's length, so that runs of different lengths differ only by their cycles.
  const total = Math.max(2000, tasksPerRound * rounds * 2 + 10);
  const tasks = Array.from({ length: total }, (_, i) => ({
    name: `render-${i}`,
    task_type: 'blender-render',
    commands: [
      {
        name: 'blender_render',
        settings: { blender_cmd: '{blender}', filepath: '/shared/shot/lighting.blend', format: 'OPEN_EXR', render_output: '/shared/shot/frames/######', frames: `${i + 1}` },
      },
    ],
  }));
  m.jobs.submit({ name: 'cost', job_type: 'custom', priority: 50, tasks });

  // Counted: every statement run, every task-log write, every farm event.
  let counting = true;
  let statements = 0;
  // REQUEST_COST_TRACE="v3 step": the statements of that kind of request, as run (its first ones only).
  const traced = process.env.REQUEST_COST_TRACE;
  let trace = false;
  let traces = 0;
  const proto = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  for (const k of ['run', 'get', 'all', 'iterate'] as const) {
    const orig = proto[k]!;
    proto[k] = function (this: { source: string }, ...a: unknown[]) {
      if (counting) statements++;
      if (counting && trace) console.log(`  ${k}: ${this.source.replace(/\s+/g, ' ').slice(0, 150)}`);
      return orig.apply(this, a);
    };
  }
  let logWrites = 0;
  const write = m.taskLogs.write.bind(m.taskLogs);
  m.taskLogs.write = (...a: Parameters<typeof write>) => {
    logWrites++;
    return write(...a);
  };
  const lastEvent = db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck();
  const eventsNow = () => {
    counting = false;
    const n = lastEvent.get() as number;
    counting = true;
    return n;
  };

  const samples = new Map<string, Sample[]>();
  const server = createManagerServer(m, 'request-cost-admin-token-0123456789');
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const label = req.headers[LABEL];
    if (typeof label !== 'string') return;
    const cpu0 = process.threadCpuUsage();
    const st0 = statements;
    const lw0 = logWrites;
    const ev0 = eventsNow();
    trace = label === traced && traces++ < 2;
    if (trace) console.log(`${label}:`);
    res.on('finish', () => {
      const cpu = process.threadCpuUsage(cpu0);
      trace = false;
      const s: Sample = { cpuUs: cpu.user + cpu.system, statements: statements - st0, logWrites: logWrites - lw0, events: eventsNow() - ev0 };
      const list = samples.get(label) ?? [];
      list.push(s);
      samples.set(label, list);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  // Rounds alternate v2 and v3; the main thread's CPU of each round is the per-task figure.
  const roundCpu: Record<'v2' | 'v3', number[]> = { v2: [], v3: [] };
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  const client = new Worker(__filename, { workerData: { port, tasksPerRound, rounds, only } });
  let cpuStart = process.threadCpuUsage();
  await new Promise<void>((resolve, reject) => {
    client.on('error', reject);
    client.on('message', (msg: { round?: 'v2' | 'v3'; start?: boolean; done?: boolean }) => {
      if (msg.start) cpuStart = process.threadCpuUsage();
      if (msg.round) {
        const cpu = process.threadCpuUsage(cpuStart);
        roundCpu[msg.round].push((cpu.user + cpu.system) / tasksPerRound);
      }
      if (msg.done) resolve();
    });
  });
  await client.terminate();
  await m.taskLogs.close().catch(() => undefined);
  server.closeAllConnections();
  server.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
  };
  const rows: string[] = [];
  const pad = (s: string, n: number) => s.padEnd(n);
  rows.push(`${pad('request', 22)}${pad('n', 6)}${pad('statements', 12)}${pad('log writes', 12)}${pad('events', 8)}CPU µs (mean; the clock ticks coarsely)`);
  for (const [label, list] of samples) {
    const avg = (f: (s: Sample) => number) => (list.reduce((a, s) => a + f(s), 0) / list.length).toFixed(2);
    rows.push(
      `${pad(label, 22)}${pad(String(list.length), 6)}${pad(
        avg((s) => s.statements),
        12,
      )}${pad(
        avg((s) => s.logWrites),
        12,
      )}${pad(
        avg((s) => s.events),
        8,
      )}${avg((s) => s.cpuUs)}`,
    );
  }
  const v2 = median(roundCpu.v2);
  const v3 = median(roundCpu.v3);
  rows.push('');
  rows.push(`main-thread CPU per task (median of ${rounds} rounds of ${tasksPerRound} tasks): v2 ${v2.toFixed(0)} µs, v3 ${v3.toFixed(0)} µs, v3/v2 ${(v3 / v2).toFixed(2)}`);
  console.log(rows.join('\n'));
}

// --- the workers (worker thread) ----------------------------------------------------------------

async function clientSide(): Promise<void> {
  const { port, tasksPerRound, rounds, only } = workerData as { port: number; tasksPerRound: number; rounds: number; only?: string };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (method: string, p: string, headers: Record<string, string>, body?: Buffer) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const h: Record<string, string> = { ...headers };
      if (method === 'POST') h['Content-Length'] = String(body ? body.length : 0);
      if (body) h['Content-Type'] = 'application/json';
      const req = http.request({ agent, host: '127.0.0.1', port, method, path: p, headers: h }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const expect = (r: { status: number; body: string }, status: number, what: string) => {
    if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.body}`);
    return r;
  };
  const json = (o: unknown) => Buffer.from(JSON.stringify(o));

  // Worker 2.5
  const v2Secret = 'v2-secret-0123456789abcdef0123456789';
  const v2Reg = expect(
    await call(
      'POST',
      '/register-worker',
      { 'User-Agent': 'Flamenco-Worker/2.5' },
      json({ secret: v2Secret, platform: 'linux', supported_task_types: ['blender-render'], nickname: 'v2' }),
    ),
    200,
    'v2 register',
  );
  const v2Id = JSON.parse(v2Reg.body)._id as string;
  const v2H = { 'User-Agent': 'Flamenco-Worker/2.5', Authorization: 'Basic ' + Buffer.from(`${v2Id}:${v2Secret}`).toString('base64') };
  expect(await call('POST', '/sign-on', v2H, json({ supported_task_types: ['blender-render'], nickname: 'v2' })), 204, 'v2 sign-on');

  // Flamenco 3
  const v3Secret = 'ab'.repeat(32);
  const f3 = { 'User-Agent': 'Flamenco/3.9 (bench)' };
  const v3Reg = expect(
    await call(
      'POST',
      '/api/v3/worker/register-worker',
      { ...f3, Authorization: 'Basic Og==' },
      json({ name: 'v3', secret: v3Secret, platform: 'linux', supported_task_types: ['blender'] }),
    ),
    200,
    'v3 register',
  );
  const v3Id = JSON.parse(v3Reg.body).uuid as string;
  const v3H = { ...f3, Authorization: 'Basic ' + Buffer.from(`${v3Id}:${v3Secret}`).toString('base64') };
  const state = JSON.parse(
    expect(
      await call('POST', '/api/v3/worker/sign-on', v3H, json({ name: 'v3', supported_task_types: ['blender'], software_version: '3.9', can_restart: false })),
      200,
      'v3 sign-on',
    ).body,
  ).status_requested;
  expect(await call('POST', '/api/v3/worker/state-changed', v3H, json({ status: state })), 204, 'v3 state-changed');

  const l = (label: string, h: Record<string, string>) => ({ ...h, [LABEL]: label });
  const v2Cycle = async () => {
    const id = JSON.parse(expect(await call('POST', '/task', l('v2 task', v2H)), 200, 'v2 task').body)._id as string;
    expect(await call('POST', `/tasks/${id}/update`, l('v2 active', v2H), UPDATE_ACTIVE), 204, 'v2 active');
    expect(await call('POST', `/tasks/${id}/update`, l('v2 completed+log', v2H), UPDATE_COMPLETED), 204, 'v2 completed');
  };
  const v3Cycle = async () => {
    const id = JSON.parse(expect(await call('POST', '/api/v3/worker/task', l('v3 task', v3H)), 200, 'v3 task').body).uuid as string;
    const u = `/api/v3/worker/task/${id}`;
    expect(await call('POST', u, l('v3 started', v3H), UPDATE_V3_STARTED), 204, 'v3 started');
    expect(await call('POST', u, l('v3 log', v3H), UPDATE_V3_LOG), 204, 'v3 log');
    expect(await call('POST', u, l('v3 step', v3H), UPDATE_V3_STEP), 204, 'v3 step');
    expect(await call('POST', u, l('v3 completed', v3H), UPDATE_V3_COMPLETED), 204, 'v3 completed');
  };
  // Warm-up: both paths compiled before anything is counted as a round.
  const generations = (
    [
      ['v2', v2Cycle],
      ['v3', v3Cycle],
    ] as const
  ).filter(([name]) => !only || name === only);
  for (let i = 0; i < 5; i++) for (const [, cycle] of generations) await cycle();
  for (let r = 0; r < rounds; r++) {
    for (const [name, cycle] of generations) {
      parentPort!.postMessage({ start: true });
      for (let i = 0; i < tasksPerRound; i++) await cycle();
      parentPort!.postMessage({ round: name });
    }
  }
  parentPort!.postMessage({ done: true });
}

if (isMainThread) {
  serveSide().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  clientSide().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
