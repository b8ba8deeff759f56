// Test helpers for the CLI: run a subcommand in this process (runCli: parse, run, capture output
// and exit code) or as a real child process of the bundle (runCliProcess, where the process
// boundary is the subject: signals, exit codes of the executable, stack traces, pipes), or start
// `serve` and wait for its banner. Every process started here is killed after the test.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type CliIo, withIo } from '../../src/cli/io';
import { run } from '../../src/main';
import { openDatabase } from '../../src/db/open';
import { onCleanup, tempDir } from './env';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const BUNDLE = path.join(ROOT, 'dist', 'flamenco-mgr.cjs');

/** A line of a stack trace; error output must never contain one. */
export const STACK_LINE = '    at ';

/** Builds the bundle once if it is missing; concurrent test files wait for whichever builds it. */
export function ensureBundle(): void {
  if (existsSync(BUNDLE)) return;
  const lock = path.join(ROOT, 'dist', '.cli-test-build.lock');
  let fd: number | undefined;
  try {
    mkdirSync(path.dirname(lock), { recursive: true });
    fd = openSync(lock, 'wx');
  } catch {
    fd = undefined;
  }
  if (fd !== undefined) {
    try {
      execFileSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'inherit' });
    } finally {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
    return;
  }
  // Another test file is building: wait (bounded) for the bundle to appear.
  const deadline = Date.now() + 60_000;
  while (!(existsSync(BUNDLE) && !existsSync(lock))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${BUNDLE} to be built`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

/**
 * Gives a data directory the database a farm's data directory has once `serve` has run on it
 * (created with the current schema), so that the other commands accept it. Returns dir.
 */
export function initDataDir(dir: string): string {
  openDatabase(dir).close();
  return dir;
}

/** A fresh temp data directory with a database, as `serve` leaves it. */
export function farmDir(): string {
  return initDataDir(tempDir());
}

export interface CliOptions {
  /** Written to standard input, which is then closed. */
  input?: string;
  /** Added to the environment; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  /** Working directory; a fresh empty temp dir unless given, so a stray default data dir lands there. */
  cwd?: string;
  /** Kill the process if it runs longer than this (ms). */
  timeout?: number;
  /** In-process runs only: standard output is a terminal this many columns wide. */
  tty?: { columns: number };
  /** Child processes only: the umask the process starts with (set by a shell before exec). */
  umask?: number;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment for a child: ours, without a data directory inherited by accident. */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.FLAMENCO_MGR_DATA_DIR;
  delete env.FLAMENCO_MGR_DEBUG;
  delete env.NODE_OPTIONS;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Kills the process after the test (if still running) and waits until it is gone. */
function track(proc: ChildProcess): void {
  const gone = new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.once('error', () => resolve());
  });
  onCleanup(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await gone;
  });
}

function spawnCli(args: string[], opts: CliOptions): ChildProcess {
  ensureBundle();
  const argv = [process.execPath, BUNDLE, ...args];
  const [cmd, ...rest] = opts.umask === undefined ? argv : ['/bin/sh', '-c', `umask ${opts.umask.toString(8).padStart(3, '0')}; exec "$0" "$@"`, ...argv];
  const proc = spawn(cmd!, rest, {
    cwd: opts.cwd ?? tempDir('flamenco-mgr-cli-cwd-'),
    env: childEnv(opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  track(proc);
  return proc;
}

/**
 * Runs the CLI in this process, as the program would on these arguments: same commands, same
 * output, same exit code. The environment has no inherited data directory; the working
 * directory is a fresh temp dir unless given.
 */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  if (opts.timeout !== undefined) return runCliProcess(args, opts);
  // One at a time: a run owns the working directory, the environment and the output streams.
  const result = inProcessQueue.then(() => runInProcess(args, opts));
  inProcessQueue = result.then(
    () => undefined,
    () => undefined,
  );
  return result;
}

let inProcessQueue: Promise<void> = Promise.resolve();

async function runInProcess(args: string[], opts: CliOptions): Promise<CliResult> {
  const env: Record<string, string | undefined> = { FLAMENCO_MGR_DATA_DIR: undefined, FLAMENCO_MGR_DEBUG: undefined, ...opts.env };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const setEnv = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  const savedCwd = process.cwd();
  let stdout = '';
  let stderr = '';
  const capture: CliIo = {
    out: (text) => {
      stdout += typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
    },
    err: (text) => {
      stderr += text;
    },
    readStdin: () => opts.input ?? '',
    isTty: () => opts.tty !== undefined,
    columns: () => opts.tty?.columns,
  };
  setEnv(env);
  process.chdir(opts.cwd ?? tempDir('flamenco-mgr-cli-cwd-'));
  try {
    const code = await withIo(capture, () => run(['node', 'flamenco-mgr', ...args]));
    return { code, signal: null, stdout, stderr };
  } finally {
    process.chdir(savedCwd);
    setEnv(savedEnv);
  }
}

/** Runs the CLI bundle as a child process to completion. */
export function runCliProcess(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const proc = spawnCli(args, opts);
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  // A child that exits without reading its input closes the pipe; that is not a test failure.
  proc.stdin!.on('error', () => {});
  proc.stdin!.end(opts.input ?? '');
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeout ?? 15_000);
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the CLI with --json and parses standard output; fails with the output when it is not JSON. */
export async function runJson(args: string[], opts: CliOptions = {}): Promise<any> {
  const r = await runCli([...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`flamenco-mgr ${args.join(' ')} --json exited ${r.code}: ${r.stderr}`);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`flamenco-mgr ${args.join(' ')} --json printed no JSON: ${r.stdout}`);
  }
}

export interface Serve {
  /** http://127.0.0.1:port, taken from the banner. */
  url: string;
  port: number;
  proc: ChildProcess;
  /** What the process printed so far. */
  stdout(): string;
  stderr(): string;
  /** Sends a signal (SIGTERM unless told) and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
  /** Resolves when the process has ended (for whatever reason). */
  exited: Promise<CliResult>;
}

/** Polls cond every 25 ms until it holds, for at most `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Starts `serve` (on 127.0.0.1 with an OS-picked port unless args say otherwise, without SSDP
 * unless opts.ssdp) and waits for the banner. Rejects with the output if the process ends first.
 */
export async function startServe(args: string[], opts: CliOptions & { ssdp?: boolean } = {}): Promise<Serve> {
  const full = ['serve', ...args];
  if (!args.includes('--listen') && !args.includes('--config')) full.push('--listen', '127.0.0.1:0');
  // Discovery answers multicast on UDP 1900; tests stay off the network unless they ask for it.
  if (!opts.ssdp) full.push('--no-ssdp');
  const proc = spawnCli(full, opts);
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  proc.stdin!.end();
  const exited = new Promise<CliResult>((resolve) => {
    proc.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  let ended: CliResult | undefined;
  void exited.then((r) => (ended = r));
  await waitFor(() => ended !== undefined || /^admin token:/m.test(out), 15_000, `the serve banner (stdout so far: ${JSON.stringify(out)})`);
  if (ended) throw new Error(`serve exited with ${ended.code} before its banner:\n${ended.stdout}${ended.stderr}`);
  const m = /serving on (?:\[[^\]]+\]|[^\s:]+):(\d+)$/m.exec(out);
  if (!m) throw new Error(`no address in the serve banner:\n${out}`);
  const port = Number(m[1]);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/**
 * Checks that a table printed by the CLI is aligned: every column starts at the same offset in
 * each row as its header does. Returns the rows as {HEADER: cell} objects.
 */
export function parseTable(text: string, headers: string[]): Record<string, string>[] {
  const lines = text.replace(/\n$/, '').split('\n');
  const head = lines[0]!;
  const starts = headers.map((h) => {
    const at = head.indexOf(h);
    if (at < 0) throw new Error(`no column ${h} in ${JSON.stringify(head)}`);
    return at;
  });
  for (let i = 1; i < starts.length; i++) {
    if (!(starts[i]! > starts[i - 1]!)) throw new Error(`columns out of order in ${JSON.stringify(head)}`);
  }
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    headers.forEach((h, i) => {
      const start = starts[i]!;
      if ((start > 0 && line[start - 1] !== ' ') || line[start] === ' ' || line[start] === undefined) {
        throw new Error(`column ${h} is not aligned in ${JSON.stringify(line)}`);
      }
      const end = i + 1 < starts.length ? starts[i + 1]! : line.length;
      row[h] = line.slice(start, end).trim();
    });
    return row;
  });
}
