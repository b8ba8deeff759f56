// Child processes of the bench: `serve`, the bare baseline server, CLI commands. Every child is
// remembered so that an interrupted bench never leaves one running.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import nodeFlags from '../../src/node-flags.json';
import { DEFAULT_MAX_CONNECTIONS } from '../../src/core/support/config';
import { now, sleep, type Target } from './loadgen';

/** serve runs with the product's own Node flags, as the executable and bin/flamenco-mgr do. */
const NODE_FLAGS: string[] = nodeFlags.node;

const children = new Set<ChildProcess>();

/** Kills every child still running (by its own pid); used on exit and on signals. */
export function killAllChildren(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

export interface Paths {
  root: string;
  /** dist/flamenco-mgr.cjs */
  cli: string;
  /** The bench bundle itself (for the baseline server mode). */
  self: string;
}

export function paths(): Paths {
  const root = process.cwd();
  return { root, cli: path.join(root, 'dist', 'flamenco-mgr.cjs'), self: process.argv[1]! };
}

export function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

function waitExit(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Waits for a line matching re on the child's stdout. */
export function waitForLine(c: ChildProcess, re: RegExp, ms: number, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => finish(new Error(`${what}: no "${re.source}" line within ${ms} ms`)), ms);
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const m = re.exec(buf);
      if (m) finish(undefined, m);
    };
    const onExit = (code: number | null) => finish(new Error(`${what} exited (code ${code}) before printing its banner; output: ${buf.slice(0, 2000)}`));
    const finish = (err?: Error, m?: RegExpExecArray) => {
      clearTimeout(t);
      c.stdout!.off('data', onData);
      c.off('exit', onExit);
      c.stdout!.resume();
      if (err) reject(err);
      else resolve(m!);
    };
    c.stdout!.on('data', onData);
    c.once('exit', onExit);
  });
}

export interface Server {
  child: ChildProcess;
  pid: number;
  target: Target;
  /** ms from spawn to the banner line. */
  bannerMs: number;
  logFile?: string;
  /** Set when the process ended (expected after stop()). */
  exited?: { code: number | null; signal: string | null };
  stop(): Promise<void>;
}

/** Throws when the server process has died, with the end of its log. */
export function assertAlive(s: Server, what: string): void {
  if (!s.exited && s.child.exitCode === null && s.child.signalCode === null) return;
  let tail = '';
  try {
    if (s.logFile) tail = readFileSync(s.logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    // no log
  }
  throw new Error(`${what}: the server process ended (code ${s.child.exitCode}, signal ${s.child.signalCode}); end of its log:\n${tail}`);
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
  process.kill(c.pid, 'SIGTERM');
  if (await waitExit(c, 10_000)) return;
  process.kill(c.pid, 'SIGKILL');
  await waitExit(c, 5_000);
}

export interface ServeOptions {
  dataDir: string;
  /** Fixed port (to poll for the first answer from the moment of spawn); 0 = any. */
  port?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Run this program (e.g. the single executable) instead of node with the bundle. */
  program?: string;
  /** Extra environment variables for serve. */
  env?: Record<string, string>;
}

/** Starts `flamenco-mgr serve` on 127.0.0.1; its log (stderr) goes to <dataDir>/serve.log. */
export async function startServe(p: Paths, o: ServeOptions): Promise<Server> {
  mkdirSync(o.dataDir, { recursive: true });
  // Every simulated worker connects from 127.0.0.1, where a farm's come from thousands of
  // addresses: the per-address limit is lifted to the overall one, which stays at its default.
  const config = path.join(o.dataDir, 'bench-config.json');
  writeFileSync(config, JSON.stringify({ max_connections_per_address: DEFAULT_MAX_CONNECTIONS }));
  const logFile = path.join(o.dataDir, 'serve.log');
  const fd = openSync(logFile, 'a');
  const t0 = now();
  const child = track(
    spawn(
      o.program ?? process.execPath,
      [...(o.program ? [] : [...NODE_FLAGS, ...(o.nodeArgs ?? []), p.cli]), 'serve', '--listen', `127.0.0.1:${o.port ?? 0}`, '--data-dir', o.dataDir, '--config', config],
      {
        cwd: p.root,
        stdio: ['ignore', 'pipe', fd],
        env: { ...process.env, ...o.env },
      },
    ),
  );
  closeSync(fd);
  const m = await waitForLine(child, /serving on ([0-9.]+):(\d+)/, 60_000, 'serve');
  const bannerMs = now() - t0;
  const server: Server = {
    child,
    pid: child.pid!,
    target: { host: m[1]!, port: Number(m[2]) },
    bannerMs,
    logFile,
    stop: () => stopChild(child),
  };
  child.once('exit', (code, signal) => (server.exited = { code, signal }));
  return server;
}

/** Starts serve on a free fixed port and polls it from the moment of spawn: ms to the first answer. */
export async function timeToFirstAnswer(p: Paths, dataDir: string, program?: string): Promise<{ firstAnswerMs: number; bannerMs: number; server: Server }> {
  const port = await freePort();
  const t0 = now();
  const starting = startServe(p, { dataDir, port, program });
  let firstAnswerMs = NaN;
  const deadline = t0 + 30_000;
  while (now() < deadline) {
    if (await answers({ host: '127.0.0.1', port })) {
      firstAnswerMs = now() - t0;
      break;
    }
    await sleep(2);
  }
  const server = await starting;
  return { firstAnswerMs, bannerMs: server.bannerMs, server };
}

/** One unauthenticated worker call on a fresh connection: does anything answer? */
function answers(t: Target): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ host: t.host, port: t.port, method: 'GET', path: '/status-change', agent: false, headers: { 'User-Agent': 'Flamenco-Worker/2.5.0' } }, (res) => {
      res.resume();
      resolve(true);
    });
    req.setTimeout(500, () => {
      req.destroy();
      resolve(false);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A server process of the bench's own (`bench.cjs <mode> …`), once it printed its banner (listenForBench). */
async function startBenchServer(p: Paths, args: string[], what: string, timeoutMs: number): Promise<Server> {
  const t0 = now();
  const child = track(spawn(process.execPath, [p.self, ...args], { cwd: p.root, stdio: ['ignore', 'pipe', 'inherit'] }));
  const m = await waitForLine(child, /serving on ([0-9.]+):(\d+)/, timeoutMs, what);
  return { child, pid: child.pid!, target: { host: m[1]!, port: Number(m[2]) }, bannerMs: now() - t0, stop: () => stopChild(child) };
}

/** The bare node:http server of the baseline, in its own process like serve. */
export function startBaseline(p: Paths): Promise<Server> {
  return startBenchServer(p, ['baseline-server'], 'baseline server', 30_000);
}

/** The floor server (floor-server.ts), in its own process like serve, with a queue of `tasks` in `dir` and `extraStatements` a cycle. */
export function startFloor(p: Paths, dir: string, tasks: number, extraStatements = 0): Promise<Server> {
  // Longer: it fills its queue first.
  return startBenchServer(p, ['floor-server', dir, String(tasks), String(extraStatements)], 'floor server', 60_000);
}

/** The baseline server itself: reads each request's body and answers 204, nothing else. */
export function runBaselineServer(): void {
  const server = http.createServer({ keepAliveTimeout: 120_000, headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204);
      res.end();
    });
  });
  listenForBench(server, 'baseline');
}

/**
 * A server process of the bench's own (the baseline, the floor): listens on a loopback port, says
 * which in the banner the bench waits for, and never outlives the bench that started it.
 */
export function listenForBench(server: http.Server, name: string): void {
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo;
    process.stdout.write(`${name} serving on 127.0.0.1:${port}\n`);
  });
  const t = setTimeout(() => process.exit(0), 30 * 60_000);
  t.unref();
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}

export interface CliRun {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  start: number;
  end: number;
}

/** Runs one CLI command (a child process, as an admin would) and times it. */
export async function runCli(p: Paths, args: string[], timeoutMs = 60_000): Promise<CliRun> {
  const start = now();
  const child = track(spawn(process.execPath, [p.cli, ...args], { cwd: p.root, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const exited = await waitExit(child, timeoutMs);
  if (!exited && child.pid) {
    process.kill(child.pid, 'SIGKILL');
    await waitExit(child, 5000);
  }
  const end = now();
  return { ms: end - start, code: exited ? child.exitCode : null, stdout, stderr, start, end };
}

/** VmRSS (and its anonymous part) and VmHWM of a process in MB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMB: number; hwmMB: number; anonMB: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mb = (k: string) => Math.round(Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) / 102.4) / 10;
    return { rssMB: mb('VmRSS'), hwmMB: mb('VmHWM'), anonMB: mb('RssAnon') };
  } catch {
    return { rssMB: NaN, hwmMB: NaN, anonMB: NaN };
  }
}

/** CPU time (user+system, ms) a process has used so far, from /proc/<pid>/stat. */
/** CPU ms used so far by a process (all threads), or by one of its threads (tid = pid: the main thread). */
export function cpuTimeOf(pid: number, tid?: number): number {
  const t = cpuTimesOf(pid, tid);
  return t.user + t.system;
}

/** User and kernel CPU time of a process (all threads) or one of its threads, ms. */
export function cpuTimesOf(pid: number, tid?: number): { user: number; system: number } {
  try {
    const s = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the comm field.
    return { user: (Number(fields[11]) * 1000) / 100, system: (Number(fields[12]) * 1000) / 100 };
  } catch {
    return { user: NaN, system: NaN };
  }
}
