// The single executable dist/flamenco-mgr (built by `npm test` and `npm run package`), run the way
// it is shipped: copied alone into an empty directory, no node on PATH, no node_modules anywhere
// above it, a fresh HOME. It serves a worker through a whole task and stops cleanly on SIGTERM.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXECUTABLE = path.join(ROOT, 'dist', 'flamenco-mgr');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const built = existsSync(EXECUTABLE);
const skip = !built && !process.env.CI;
if (skip) console.warn(`test/package/executable.test.ts: skipped, ${EXECUTABLE} is not built (npm test or npm run package builds it)`);

let base = '';
let exe = '';
let env: Record<string, string> = {};

/** Runs the copied executable to completion. */
function run(args: string[], opts: { input?: string } = {}) {
  const r = spawnSync(exe, args, { cwd: path.dirname(exe), env, input: opts.input, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return r;
}

async function http(url: string, method: string, body?: unknown, auth?: string) {
  const headers: Record<string, string> = { 'User-Agent': 'Flamenco-Worker/2.5' };
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as any) : undefined };
}

/** Starts `serve` and resolves with the port from its banner line. */
function startServe(args: string[], opts: { prefix?: string[]; env?: Record<string, string> } = {}): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const [cmd, ...pre] = [...(opts.prefix ?? []), exe];
  const child = spawn(cmd!, [...pre, 'serve', ...args], { cwd: path.dirname(exe), env: opts.env ?? env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve printed no banner within 20 s:\n${out}`));
    }, 20_000);
    const onData = () => {
      const m = /serving on 127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ child, port: Number(m[1]), output: () => out });
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`serve exited early (${code ?? signal}):\n${out}`));
    });
  });
}

describe.skipIf(skip)('the single executable', () => {
  beforeAll(() => {
    expect(existsSync(EXECUTABLE), `${EXECUTABLE} is missing: CI must build it first (npm test does)`).toBe(true);
    base = mkdtempSync(path.join(tmpdir(), 'flamenco-mgr-exe-test-'));
    chmodSync(base, 0o755); // the `nobody` test below reaches the executable through it
    for (const d of ['app', 'home', 'empty-path', 'tmp', 'data']) mkdirSync(path.join(base, d));
    exe = path.join(base, 'app', 'flamenco-mgr');
    copyFileSync(EXECUTABLE, exe);
    chmodSync(exe, 0o755);
    env = { PATH: path.join(base, 'empty-path'), HOME: path.join(base, 'home'), TMPDIR: path.join(base, 'tmp'), LANG: 'C.UTF-8' };
  });
  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('runs with no node and no node_modules in reach', () => {
    expect(readdirSync(env.PATH!)).toEqual([]);
    for (let d = path.dirname(exe); ; d = path.dirname(d)) {
      expect(existsSync(path.join(d, 'node_modules')), `${d}/node_modules exists`).toBe(false);
      if (d === path.dirname(d)) break;
    }
    expect(readdirSync(path.dirname(exe))).toEqual(['flamenco-mgr']);
  });

  it('prints its version and the commit it was built from', () => {
    const r = run(['--version']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = /^flamenco-mgr (\S+) \(commit (?:([0-9a-f]{12})(\+dirty)?|unknown)\)\n$/.exec(r.stdout);
    expect(m, `unexpected --version output: ${JSON.stringify(r.stdout)}`).not.toBeNull();
    expect(m![1]).toBe(VERSION);
    // Built in a git checkout: the commit is one of this repository's (the executable may predate
    // the newest commit).
    if (spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT }).status === 0) {
      expect(m![2], 'built in a git checkout, yet no commit').toMatch(/^[0-9a-f]{12}$/);
      expect(() => execFileSync('git', ['cat-file', '-e', `${m![2]}^{commit}`], { cwd: ROOT, stdio: 'ignore' })).not.toThrow();
    }
  });

  it('serves a worker through a task, works with the CLI alongside, and stops on SIGTERM', async () => {
    const data = path.join(base, 'data');
    const { child, port, output } = await startServe(['--listen', '127.0.0.1:0', '--data-dir', data]);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = `http://127.0.0.1:${port}`;
      const secret = 'executable-test-secret-0123456789';
      const reg = await http(`${url}/register-worker`, 'POST', {
        secret,
        platform: 'linux',
        supported_task_types: ['sleep'],
        nickname: 'exe-test-worker',
      });
      expect(reg.status, reg.text).toBe(200);
      const workerId = reg.json._id as string;
      const auth = 'Basic ' + Buffer.from(`${workerId}:${secret}`).toString('base64');
      const signOn = await http(`${url}/sign-on`, 'POST', { supported_task_types: ['sleep'], nickname: 'exe-test-worker' }, auth);
      expect(signOn.status, signOn.text).toBe(204);

      const jobFile = path.join(base, 'job.json');
      writeFileSync(jobFile, JSON.stringify({ name: 'x', job_type: 'sleep', settings: { frames: '1', time_in_seconds: 0 } }));
      const sub = run(['submit', jobFile, '--data-dir', data]);
      expect(sub.status, sub.stderr).toBe(0);
      const jobId = sub.stdout.trim();
      expect(jobId).not.toBe('');

      const task = await http(`${url}/task`, 'POST', undefined, auth);
      expect(task.status, task.text).toBe(200);
      expect(task.json.job).toBe(jobId);
      const logged = await http(`${url}/tasks/${task.json._id}/update`, 'POST', { log: 'rendering frame 1' }, auth);
      expect(logged.status, logged.text).toBe(204);
      const done = await http(`${url}/tasks/${task.json._id}/update`, 'POST', { task_status: 'completed' }, auth);
      expect(done.status, done.text).toBe(204);
      // The task log, written by the executable's log thread (started from code, there being no file).
      const log = run(['task-log', task.json._id, '--data-dir', data]);
      expect(log.status, log.stderr).toBe(0);
      expect(log.stdout).toMatch(/^\S+: Manager assigned task [0-9a-f]{24} to worker exe-test-worker \([0-9a-f]{24}\)\nrendering frame 1\n$/);

      const workers = run(['list-workers', '--json', '--data-dir', data]);
      expect(workers.status, workers.stderr).toBe(0);
      expect(JSON.parse(workers.stdout)).toEqual([expect.objectContaining({ id: workerId, nickname: 'exe-test-worker' })]);

      const queue = run(['queue-status', '--json', '--data-dir', data]);
      expect(queue.status, queue.stderr).toBe(0);
      const q = JSON.parse(queue.stdout);
      expect(q.tasks.completed).toBe(1);
      expect(q.jobs).toEqual([expect.objectContaining({ id: jobId, status: 'completed' })]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, output()).toBe(0);
    // The SQLite addon was unpacked under the fresh HOME, named by its hash.
    const cache = path.join(env.HOME!, '.cache', 'flamenco-mgr');
    expect(readdirSync(cache)).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
  }, 60_000);

  // Render nodes run services as users without a (writable) home.
  const asNobody = typeof process.getuid === 'function' && process.getuid() === 0 && existsSync('/usr/bin/setpriv');
  it.skipIf(!asNobody)(
    'runs as an unprivileged user without a home, and replaces a damaged cached addon',
    async () => {
      const data = path.join(base, 'nobody-data');
      const tmp = path.join(base, 'nobody-tmp');
      for (const d of [data, tmp]) {
        mkdirSync(d);
        chownSync(d, 65534, 65534);
      }
      const setpriv = ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
      const nobodyEnv = { ...env, HOME: '/nonexistent', TMPDIR: tmp };
      const { child, output } = await startServe(['--listen', '127.0.0.1:0', '--data-dir', data], { prefix: setpriv, env: nobodyEnv });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited, output()).toBe(0);

      const asNobodyRun = () =>
        spawnSync(setpriv[0]!, [...setpriv.slice(1), exe, 'queue-status', '--json', '--data-dir', data], {
          cwd: '/',
          env: nobodyEnv,
          encoding: 'utf8',
          timeout: 30_000,
        });
      let r = asNobodyRun();
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).tasks.completed).toBe(0);
      const cacheDir = path.join(tmp, 'flamenco-mgr-native-65534');
      const [hashDir] = readdirSync(cacheDir);
      const addon = path.join(cacheDir, hashDir!, 'better_sqlite3.node');
      const good = readFileSync(addon);

      writeFileSync(addon, 'not a shared library');
      r = asNobodyRun();
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(addon).equals(good)).toBe(true);
    },
    60_000,
  );
});
