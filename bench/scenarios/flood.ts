// Wrong-secret flood: a few workers run tasks (task → update active → update completed with a
// 2 KB log, then a 1 s pause, like a real worker between short tasks) while 400 keep-alive
// connections, each from its own loopback address (so that per-address limits alone do not stop
// them), send task updates with wrong secrets: half for the real workers' ids, half for made-up
// ids. Reported: the real workers' latencies before and during the flood, what the flood was
// answered, and the answer time of an unknown id against a wrong secret for a known one.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { type Ctx, dataDir, profileArgs, removeDir, Stop } from '../lib/context';
import { ALL_TYPES, buildQueue } from '../lib/fixtures';
import { now, pool, registerOverHttp, request, type SimWorker, type Target, UPDATE_ACTIVE, UPDATE_COMPLETED } from '../lib/loadgen';
import { assertAlive, startServe } from '../lib/processes';
import { median, Recorder, round, summarize } from '../lib/stats';

const FLOOD_CONNECTIONS = 400;
const REAL_WORKERS = 4;

const basic = (id: string, secret: string) => ({ Authorization: 'Basic ' + Buffer.from(`${id}:${secret}`).toString('base64') });
const randomId = () => randomBytes(12).toString('hex');
const loopback = (i: number) => `127.200.${Math.floor(i / 250)}.${1 + (i % 250)}`;

async function workLoop(w: SimWorker, stop: Stop, rec: Recorder): Promise<void> {
  while (!stop.stopped) {
    const r = await w.fetchTask(rec);
    if (r.status === 200 && w.task) {
      await w.call('POST', `/tasks/${w.task}/update`, UPDATE_ACTIVE, rec);
      await w.call('POST', `/tasks/${w.task}/update`, UPDATE_COMPLETED, rec);
      w.task = undefined;
    }
    await stop.sleep(1000);
  }
}

/** The median answer time of requests with these credentials, each from a fresh address. */
async function answerTime(target: Target, auths: Record<string, string>[], offset: number): Promise<number> {
  const times: number[] = [];
  for (const [i, auth] of auths.entries()) {
    const agent = new http.Agent({ keepAlive: false, localAddress: loopback(offset + i) });
    const r = await request(agent, target, 'GET', '/status-change', auth, undefined, false);
    agent.destroy();
    times.push(r.ms);
  }
  return median(times);
}

export async function flood(ctx: Ctx): Promise<void> {
  const S = 'wrong-secret flood';
  const dir = dataDir(ctx, 'flood');
  buildQueue(dir, 5000, 1);
  const server = await startServe(ctx.paths, { dataDir: dir, nodeArgs: profileArgs(ctx, 'flood') });
  const quiet = new Recorder('quiet');
  const loud = new Recorder('flood');
  const floodRec = new Recorder('flooding');
  try {
    const target = server.target;
    const workers = await pool(
      Array.from({ length: REAL_WORKERS }, (_, i) => i),
      4,
      (i) => registerOverHttp(target, `real-${i}`, ALL_TYPES),
    );
    for (const w of workers) await w.signOn();

    // Fewer guesses per id than the per-id limit, so that each one is checked: known ids are the
    // real workers', unknown ones are made up, one request each.
    const guesses = Array.from({ length: 8 * REAL_WORKERS }, (_, i) => i);
    const oracleN = guesses.length;
    const wrongMs = await answerTime(
      target,
      guesses.map((i) => basic(workers[i % REAL_WORKERS]!.ident.id, randomBytes(32).toString('hex'))),
      0,
    );
    const unknownMs = await answerTime(
      target,
      guesses.map(() => basic(randomId(), randomBytes(32).toString('hex'))),
      oracleN,
    );

    const measureMs = ctx.quick ? 5000 : 10_000;
    ctx.log(`${S}: ${REAL_WORKERS} workers running tasks, ${measureMs / 1000} s without flood`);
    let stop = new Stop();
    let loops = workers.map((w) => workLoop(w, stop, quiet));
    await new Promise((r) => setTimeout(r, measureMs));
    stop.raise();
    await Promise.all(loops);

    ctx.log(`${S}: the same with ${FLOOD_CONNECTIONS} connections sending wrong secrets`);
    const floodStop = new Stop();
    const flooders = Array.from({ length: FLOOD_CONNECTIONS }, async (_, i) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: loopback(2 * oracleN + i) });
      const body = Buffer.from(JSON.stringify({ activity: 'x', task_status: 'completed' }));
      while (!floodStop.stopped) {
        const id = i % 2 === 0 ? workers[i % REAL_WORKERS]!.ident.id : randomId();
        await request(
          agent,
          target,
          'POST',
          `/tasks/${randomId()}/update`,
          { ...basic(id, randomBytes(32).toString('hex')), 'Content-Type': 'application/json' },
          body,
          false,
          floodRec,
        );
      }
      agent.destroy();
    });
    // Let the flood build up before measuring.
    await new Promise((r) => setTimeout(r, 1000));
    stop = new Stop();
    const t0 = now();
    loops = workers.map((w) => workLoop(w, stop, loud));
    await new Promise((r) => setTimeout(r, measureMs));
    stop.raise();
    await Promise.all(loops);
    const t1 = now();
    floodStop.raise();
    await Promise.all(flooders);
    assertAlive(server, S);

    const q = summarize(quiet.slice());
    const l = summarize(loud.slice());
    const f = summarize(floodRec.slice(t0, t1));
    const r = ctx.report;
    r.add(S, 'answer time: unknown id / wrong secret for a known id (median)', `${round(unknownMs, 2)} / ${round(wrongMs, 2)}`, 'ms');
    r.add(S, 'real workers without flood: p50 / p99', `${q.p50} / ${q.p99}`, 'ms');
    r.add(S, `real workers during the flood: p50 / p99 (${l.count} requests)`, `${l.p50} / ${l.p99}`, 'ms', 'p99 < 1000 ms', l.p99 < 1000);
    const failed = Object.entries(l.statuses).filter(([k]) => !['200', '204'].includes(k));
    r.add(
      S,
      'real workers: requests not answered 200/204 during the flood',
      failed.reduce((a, [, v]) => a + v, 0),
      '',
      '0',
      failed.length === 0,
    );
    r.add(S, 'flood requests per second, and their answers', `${round(f.count / ((t1 - t0) / 1000), 0)}: ${JSON.stringify(f.statuses)}`);
    r.details.flood = { quiet: q, flood: l, flooding: f, unknownMs, wrongMs };
  } finally {
    await server.stop();
    removeDir(ctx, dir);
  }
}
