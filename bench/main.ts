// The benchmark of flamenco-mgr: scenarios against a real `serve` child process, driven by
// simulated Flamenco workers speaking the real protocol. Run through bench/run.mjs
// (`npm run bench`, `npm run bench -- --quick`).
import os from 'node:os';
import path from 'node:path';
import { type Ctx, FULL, makeTmpRoot, QUICK } from './lib/context';
import { killAllChildren, paths, runBaselineServer } from './lib/processes';
import { formatLayers, formatProfile, layersOf, profilesIn, summarizeProfile } from './lib/profile';
import { medianReport, Report, sourceState } from './lib/report';
import { cost } from './scenarios/cost';
import { dispatch, dispatchF3, dispatchMixed } from './scenarios/dispatch';
import { flood } from './scenarios/flood';
import { executable } from './scenarios/executable';
import { idlePoll } from './scenarios/idle';
import { scale } from './scenarios/scale';
import { watched } from './scenarios/watched';
import { runWatchers } from './lib/watchers';
import { runFloorServer } from './lib/floor-server';
import { rmSync } from 'node:fs';

const SCENARIOS: Record<string, (ctx: Ctx) => Promise<void>> = {
  executable,
  idle: idlePoll,
  dispatch,
  'dispatch-v3': dispatchF3,
  'dispatch-mixed': dispatchMixed,
  cost,
  watched,
  scale,
  flood,
};

const USAGE = `usage: npm run bench [-- options]
  --quick              smaller sizes and shorter runs (results go to bench/results/<date>-quick.json)
  --repeat <n>         run the scenarios n times and report the median of each figure (default 1)
  --only <a,b>         run only these scenarios: ${Object.keys(SCENARIOS).join(', ')}
  --profile [dir]      run serve with --cpu-prof and print where it spends its time
  --cli <file.cjs>     run another build of the product instead of dist/flamenco-mgr.cjs (to compare a change)
  --keep               keep the temporary data directories
  --no-write           print the table only, write no results file
  --out <file.json>    write the results there instead of bench/results/<date>[-quick].json`;

function parseArgs(argv: string[]) {
  const o = {
    quick: false,
    repeat: 1,
    only: Object.keys(SCENARIOS),
    profile: undefined as string | undefined,
    keep: false,
    write: true,
    cli: undefined as string | undefined,
    out: undefined as string | undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') o.quick = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--no-write') o.write = false;
    else if (a === '--repeat') {
      o.repeat = Number(argv[++i]);
      if (!Number.isInteger(o.repeat) || o.repeat < 1 || o.repeat > 9) throw new Error(`--repeat needs a whole number from 1 to 9\n${USAGE}`);
    } else if (a === '--out') {
      const f = argv[++i];
      if (!f) throw new Error(`--out needs a file\n${USAGE}`);
      o.out = path.resolve(f);
    } else if (a === '--cli') {
      const f = argv[++i];
      if (!f) throw new Error(`--cli needs a file\n${USAGE}`);
      o.cli = path.resolve(f);
    } else if (a === '--only') {
      o.only = (argv[++i] ?? '').split(',').filter(Boolean);
      for (const s of o.only) if (!SCENARIOS[s]) throw new Error(`--only: unknown scenario "${s}"\n${USAGE}`);
    } else if (a === '--profile') {
      const next = argv[i + 1];
      o.profile = next && !next.startsWith('--') ? path.resolve(argv[++i]!) : path.join(os.tmpdir(), `flamenco-mgr-bench-profiles-${Date.now()}`);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  // bench/run.mjs built dist/ from the working tree just before this process started.
  const source = sourceState(process.cwd());
  const ctx: Ctx = {
    quick: opts.quick,
    sizes: opts.quick ? QUICK : FULL,
    paths: { ...paths(), ...(opts.cli ? { cli: opts.cli } : {}) },
    report: new Report(),
    profileDir: opts.profile,
    tmpRoot: makeTmpRoot(),
    keep: opts.keep,
    log: (m) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`),
  };
  // Never run away: the whole bench stops by itself.
  const limitMs = (opts.quick ? 15 : 60) * 60_000 * opts.repeat;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${limitMs / 60_000} min; stopping\n`);
    killAllChildren();
    process.exit(3);
  }, limitMs);
  watchdog.unref();

  ctx.log(
    `commit ${source.commit} (${source.src}); mode ${opts.quick ? 'quick' : 'full'}; ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; temp ${ctx.tmpRoot}`,
  );
  const load0 = os.loadavg();
  const errors: string[] = [];
  const runs: Report[] = [];
  for (let run = 1; run <= opts.repeat; run++) {
    if (opts.repeat > 1) ctx.log(`run ${run} of ${opts.repeat}`);
    ctx.report = new Report();
    runs.push(ctx.report);
    for (const name of opts.only) {
      try {
        await SCENARIOS[name]!(ctx);
      } catch (err) {
        const msg = `${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
        errors.push(msg);
        ctx.report.add(name, 'scenario failed', String(err instanceof Error ? err.message : err).slice(0, 120), '', 'runs', false);
        ctx.log(`FAILED ${msg}`);
        killAllChildren();
      }
    }
  }
  const report = opts.repeat > 1 ? medianReport(runs) : runs[0]!;
  if (opts.repeat > 1) report.note(`Each figure is the median of ${opts.repeat} runs (all runs under details.runs).`);
  if (!ctx.keep) rmSync(ctx.tmpRoot, { recursive: true, force: true });

  report.note('One machine runs serve and the load generator; they compete for its CPUs. The baseline is measured with the same generator.');
  report.note(
    `Load average at start ${load0.map((l) => l.toFixed(2)).join(' ')}, at end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}.`,
  );

  process.stdout.write('\n' + report.table() + '\n');
  for (const n of report.notes) process.stdout.write(`note: ${n}\n`);

  if (opts.profile) {
    for (const name of opts.only) {
      for (const f of profilesIn(path.join(opts.profile, name))) {
        process.stdout.write('\n' + formatProfile(`${name} (${f})`, summarizeProfile(f)) + '\n' + formatLayers(layersOf(f)) + '\n');
      }
    }
  }
  if (opts.write) {
    const file = report.write(ctx.paths.root, opts.quick, opts.out, {
      duration_s: Math.round((Date.now() - started) / 1000),
      scenarios: opts.only,
      runs: opts.repeat,
      product: path.relative(ctx.paths.root, ctx.paths.cli),
      commit: source.commit,
      source: source.src,
      errors,
    });
    process.stdout.write(`\nresults: ${path.relative(ctx.paths.root, file)}\n`);
  }
  process.exitCode = errors.length ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllChildren();
    process.exit(130);
  });
}
process.on('exit', killAllChildren);

if (process.argv[2] === 'baseline-server') runBaselineServer();
else if (process.argv[2] === 'floor-server') runFloorServer(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5] ?? 0));
else if (process.argv[2] === 'watchers') runWatchers(process.argv.slice(3));
else
  main().catch((err) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    killAllChildren();
    process.exit(2);
  });
