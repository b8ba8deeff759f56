// `flamenco-mgr serve` as a real process: banner, signals, the one-serve-per-data-dir lock,
// and every way a configuration is refused.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, configFromJson, defaultConfig } from '../../src/core/support/config';
import { loadEffectiveConfig } from '../../src/serve/config-file';
import { request, tempDir } from '../helpers/env';
import { runCli, runCliProcess, startServe, STACK_LINE, waitFor } from '../helpers/cli';

const VERSION = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version as string;

function writeConfig(dir: string, doc: unknown): string {
  const file = path.join(dir, 'config.json');
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

/** serve that must refuse to start: non-zero exit, the reason on stderr, no lock left behind. */
async function refusedServe(args: string[], dataDir: string, message: string | RegExp) {
  const r = await runCli(['serve', '--data-dir', dataDir, ...args]);
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.signal).toBeNull();
  if (typeof message === 'string') expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toContain(STACK_LINE);
  expect(r.stdout).not.toContain('serving on');
  expect(existsSync(path.join(dataDir, 'serve.lock'))).toBe(false);
  return r;
}

describe('serve banner', { timeout: 30_000 }, () => {
  it('prints version, address, manager_url, data directory and registration mode, then answers HTTP', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir], { ssdp: true });
    const out = s.stdout();
    expect(out.split('\n')[0]).toMatch(new RegExp(`^flamenco-mgr ${VERSION.replace(/\./g, '\\.')} \\(\\S+\\) serving on `));
    // On loopback only no other machine could use a discovery answer: the UDP socket stays closed.
    expect(out).toMatch(/^discovery: off \(serve listens on loopback only\)/m);
    expect(out).toMatch(new RegExp(`serving on 127\\.0\\.0\\.1:${s.port}$`, 'm'));
    expect(s.port).toBeGreaterThan(0);
    expect(out).toContain(`data directory: ${dir}`);
    expect(out).toContain('registration: open');
    expect(out).toContain('manager_url');
    expect(out).toContain(`  http://127.0.0.1:${s.port}/`);
    expect(out).toContain(`flamenco-mgr admin-token --data-dir ${dir}`);
    expect(out).toMatch(/^without a token \(trusted_networks\): 127\.0\.0\.0\/8, ::1\/128(, \S+)* may submit jobs from Blender and read the dashboard$/m);
    expect(out).not.toMatch(/10\.0\.0\.0\/8|172\.16\.0\.0\/12|fc00::\/7/);
    expect(out).toContain(`dashboard: http://127.0.0.1:${s.port}/ (from other machines: a manager_url above, in a browser)`);
    // The README's day one shows the banner: the same lines in the same order (one or more URLs).
    const kinds = (text: string) =>
      text
        .trimEnd()
        .split('\n')
        .map((l) => (l.startsWith('  ') ? 'url' : l.split(' ')[0]))
        .filter((k, i, all) => k !== 'url' || all[i - 1] !== 'url');
    const readme = readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const [, indent, block] = /It prints the URLs workers can use[^`]*\n( *)```\n([\s\S]*?)\n *```/.exec(readme)!;
    const shown = block!
      .split('\n')
      .map((l) => l.slice(indent!.length))
      .join('\n');
    expect(kinds(shown)).toEqual(kinds(out));
    expect((await request(s.url, 'GET', '/')).text).toContain('<html');
    // The server is up: an unknown endpoint is a JSON 404, a worker call without credentials a 401.
    expect((await request(s.url, 'GET', '/no-such-thing')).status).toBe(404);
    expect((await request(s.url, 'POST', '/task')).status).toBe(401);
    // One structured log line per event, on stderr.
    expect(s.stderr()).toMatch(/level=info msg=listening address=127\.0\.0\.1:\d+/);
    expect((await s.stop()).code).toBe(0);
  });

  it('says when registration needs a secret', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir, '--config', writeConfig(dir, { registration_secret: 'farm-secret', listen: '127.0.0.1:0' })]);
    expect(s.stdout()).toContain('registration: requires a registration secret');
    expect(s.stdout()).not.toContain('farm-secret');
    expect(s.stdout()).toContain('discovery: off (--no-ssdp)');
    // Without a token a worker cannot register.
    const r = await request(s.url, 'POST', '/register-worker', { body: { secret: 'x'.repeat(20), platform: 'linux', nickname: 'w' } });
    expect(r.status).toBe(403);
  });

  it('takes the listen address from the config file, and --listen overrides it', async () => {
    const dir = tempDir();
    const fromConfig = await startServe(['--data-dir', dir, '--config', writeConfig(dir, { listen: '127.0.0.1:0' })]);
    expect(fromConfig.stdout()).toMatch(/serving on 127\.0\.0\.1:\d+/);
    await fromConfig.stop();
    const overridden = await startServe(['--data-dir', dir, '--config', writeConfig(dir, { listen: '10.255.255.1:1' }), '--listen', '127.0.0.1:0']);
    expect(overridden.stdout()).toMatch(/serving on 127\.0\.0\.1:\d+/);
  });

  it('uses FLAMENCO_MGR_DATA_DIR when --data-dir is not given', async () => {
    const dir = path.join(tempDir(), 'from-env');
    const s = await startServe([], { env: { FLAMENCO_MGR_DATA_DIR: dir } });
    expect(s.stdout()).toContain(`data directory: ${dir}\n`);
    expect(JSON.parse(readFileSync(path.join(dir, 'serve.lock'), 'utf8')).pid).toBe(s.proc.pid);
  });

  it("lists manager URLs for the machine's addresses when listening on 0.0.0.0", async () => {
    const s = await startServe(['--data-dir', tempDir(), '--listen', '0.0.0.0:0']);
    expect(s.stdout()).toMatch(/serving on 0\.0\.0\.0:\d+/);
    expect(s.stdout()).toContain(`  http://127.0.0.1:${s.port}/`);
    expect(s.stdout()).not.toContain('http://0.0.0.0');
  });

  it('accepts a full config file with every key, and runs with every value of it', async () => {
    const dir = tempDir();
    // Every key, each away from its default, so that a value that is not taken shows.
    const config: Record<string, unknown> = {
      listen: '127.0.0.1:0',
      worker_timeout: '90s',
      task_timeout: '1h',
      blocklist_threshold: 5,
      task_fail_after_softfail_count: 2,
      job_fail_share: 0.5,
      registration_secret: 'a-registration-secret-0123456789',
      variables: {
        storage: {
          direction: 'two-way',
          values: [
            { platform: 'linux', value: '/mnt/farm' },
            { platform: 'windows', value: 'F:' },
          ],
        },
      },
      trusted_networks: ['127.0.0.0/8', '10.1.0.0/16'],
      f3_worker_networks: ['10.2.0.0/16'],
      shared_storage: '/mnt/farm/shared',
      addon_version: '3.9',
      webhooks: [{ url: 'http://127.0.0.1:9/hook', events: ['job-status'], secret: 'webhook-secret-0123456789' }],
      max_connections: 500,
      job_retention: '90d',
      server_names: ['farm.studio.lan'],
      max_tasks_per_job: 2000,
      max_connections_per_address: 300,
      max_event_streams_per_address: 5,
    };
    expect(Object.keys(config).sort()).toEqual([...CONFIG_KEYS].sort());
    const s = await startServe(['--data-dir', dir, '--config', writeConfig(dir, config)]);
    expect(s.stdout()).toContain('registration: requires a registration secret (JWT); Flamenco 3 workers: from 10.2.0.0/16 only');
    // serve runs with the file's values: what it recorded for the other commands is the file's
    // config, and no key of it kept its default.
    const running = loadEffectiveConfig(dir);
    const expected = configFromJson(config);
    expect({ ...running, listen: expected.listen }).toEqual(expected);
    const defaults = defaultConfig();
    for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
      if (key === 'listen') continue;
      expect(running[key], key).not.toEqual(defaults[key]);
    }
    // And acts on them: registration needs the token.
    const reg = await request(s.url, 'POST', '/register-worker', { body: { secret: 'worker-secret-0123456789abcdef', platform: 'linux', nickname: 'w' } });
    expect(reg.status).toBe(403);
    expect((await s.stop()).code).toBe(0);
  });
});

describe('serve stops cleanly', { timeout: 30_000 }, () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 on %s, logs it, and releases the lock', async (signal) => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    expect(existsSync(path.join(dir, 'serve.lock'))).toBe(true);
    const r = await s.stop(signal);
    expect(r.code).toBe(0);
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain(`msg=stopping signal=${signal}`);
    expect(r.stderr).toContain('msg=stopped');
    expect(r.stderr).not.toContain(STACK_LINE);
    expect(existsSync(path.join(dir, 'serve.lock'))).toBe(false);
    // The data directory is free again: a new serve starts on it.
    const again = await startServe(['--data-dir', dir]);
    expect((await again.stop()).code).toBe(0);
  });

  it('stops even with a kept-alive client connection open', async () => {
    const s = await startServe(['--data-dir', tempDir()]);
    // fetch keeps the connection alive for reuse.
    expect((await request(s.url, 'GET', '/no-such-thing')).status).toBe(404);
    expect((await request(s.url, 'GET', '/no-such-thing')).status).toBe(404);
    expect((await s.stop()).code).toBe(0);
  });

  it('takes over the lock of a serve that was killed', async () => {
    const dir = tempDir();
    const first = await startServe(['--data-dir', dir]);
    const killed = await first.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(path.join(dir, 'serve.lock'))).toBe(true);
    const second = await startServe(['--data-dir', dir]);
    expect(JSON.parse(readFileSync(path.join(dir, 'serve.lock'), 'utf8')).pid).toBe(second.proc.pid);
    expect((await second.stop()).code).toBe(0);
  });
});

describe('one serve per data directory', { timeout: 30_000 }, () => {
  it('refuses a second serve on the same data directory, naming the running one', async () => {
    const dir = tempDir();
    const first = await startServe(['--data-dir', dir]);
    const lock = JSON.parse(readFileSync(path.join(dir, 'serve.lock'), 'utf8'));
    // The lock names the address actually bound, not the port 0 that was asked for.
    expect(lock).toMatchObject({ pid: first.proc.pid, listen: `127.0.0.1:${first.port}` });

    const r = await runCli(['serve', '--data-dir', dir, '--listen', '127.0.0.1:0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('another flamenco-mgr serve is already using');
    expect(r.stderr).toContain(`pid ${first.proc.pid}`);
    expect(r.stderr).toContain(`127.0.0.1:${first.port}`);
    expect(r.stderr).not.toContain(STACK_LINE);
    expect(r.stdout).toBe('');

    // The refused serve did not disturb the running one.
    expect(JSON.parse(readFileSync(path.join(dir, 'serve.lock'), 'utf8')).pid).toBe(first.proc.pid);
    expect((await request(first.url, 'GET', '/no-such-thing')).status).toBe(404);
    expect((await first.stop()).code).toBe(0);
  });

  it('allows serves on different data directories side by side', async () => {
    const [a, b] = await Promise.all([startServe(['--data-dir', tempDir()]), startServe(['--data-dir', tempDir()])]);
    expect(a.port).not.toBe(b.port);
    expect((await request(a.url, 'GET', '/x')).status).toBe(404);
    expect((await request(b.url, 'GET', '/x')).status).toBe(404);
  });

  it('refuses an address already in use and releases its lock', async () => {
    const a = await startServe(['--data-dir', tempDir()]);
    const dir = tempDir();
    await refusedServe(['--listen', `127.0.0.1:${a.port}`], dir, `cannot listen on 127.0.0.1:${a.port}: the address is already in use`);
    // Since the lock was released, the same data directory serves fine elsewhere.
    expect((await (await startServe(['--data-dir', dir])).stop()).code).toBe(0);
  });

  it('a start that cannot listen leaves no new data directory (nor new files) behind, and exits 5 so that a service manager tries again', async () => {
    const a = await startServe(['--data-dir', tempDir()]);
    const fresh = path.join(tempDir(), 'new', 'farm');
    const r = await runCliProcess(['serve', '--no-ssdp', '--data-dir', fresh, '--listen', `127.0.0.1:${a.port}`]);
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`flamenco-mgr: cannot listen on 127.0.0.1:${a.port}: the address is already in use\n`);
    expect(existsSync(path.dirname(fresh))).toBe(false);
    // A directory that was there stays as it was.
    const there = tempDir();
    writeFileSync(path.join(there, 'notes.txt'), 'mine');
    expect((await runCliProcess(['serve', '--no-ssdp', '--data-dir', there, '--listen', `127.0.0.1:${a.port}`])).code).toBe(5);
    expect(readdirSync(there)).toEqual(['notes.txt']);
    // A farm's directory keeps its database and everything else.
    const farm = tempDir();
    await (await startServe(['--data-dir', farm])).stop();
    const before = readdirSync(farm).sort();
    expect(before).toContain('flamenco-mgr.sqlite');
    expect((await runCliProcess(['serve', '--no-ssdp', '--data-dir', farm, '--listen', `127.0.0.1:${a.port}`])).code).toBe(5);
    expect(readdirSync(farm).sort()).toEqual(before.filter((f) => f !== 'serve-stopped-cleanly.json'));
  });

  it('exits 2 on a configuration error, which the systemd unit does not restart', async () => {
    const dir = path.join(tempDir(), 'farm');
    const config = path.join(tempDir(), 'bad.json');
    writeFileSync(config, '{"worker_timeout": "soon"}');
    const r = await runCliProcess(['serve', '--no-ssdp', '--data-dir', dir, '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(existsSync(dir)).toBe(false);
    expect((await runCliProcess(['serve', '--no-ssdp', '--data-dir', dir, '--config', path.join(dir, 'missing.json')])).code).toBe(2);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('serve refuses bad options and configuration', { timeout: 30_000 }, () => {
  it.each([
    ['garbage', '--listen: "garbage" is not host:port'],
    ['127.0.0.1', '--listen: "127.0.0.1" is not host:port'],
    ['127.0.0.1:99999', '--listen: "127.0.0.1:99999" is not host:port'],
    ['127.0.0.1:http', '--listen: "127.0.0.1:http" is not host:port'],
    ['', '--listen: "" is not host:port'],
  ])('--listen %j', async (listen, message) => {
    await refusedServe(['--listen', listen], tempDir(), message);
  });

  it('--listen on an address this machine does not have', async () => {
    await refusedServe(['--listen', '192.0.2.123:0'], tempDir(), /cannot listen on 192\.0\.2\.123:0: (no such local address|permission denied)/);
  });

  it('--log-level that is not a level', async () => {
    await refusedServe(['--log-level', 'loud', '--listen', '127.0.0.1:0'], tempDir(), '--log-level: "loud" is not one of debug, info, warn, error');
  });

  it('a missing config file', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'missing.json');
    await refusedServe(['--config', file], dir, `cannot read config file ${file}: no such file or directory`);
  });

  it('a config file that is a directory', async () => {
    const dir = tempDir();
    await refusedServe(['--config', dir], dir, `cannot read config file ${dir}: is a directory`);
  });

  const badConfigs: [string, unknown, string][] = [
    ['invalid JSON', '{"listen": ', 'is not valid JSON'],
    ['not an object', '["listen"]', 'the config file must hold a JSON object'],
    ['an unknown key', { listen: '127.0.0.1:0', worker_timout: '10s' }, 'unknown config key "worker_timout"'],
    ['a bad duration', { worker_timeout: '10 minutes' }, 'worker_timeout: "10 minutes" is not a duration'],
    ['a duration that is a number', { task_timeout: 600 }, 'task_timeout: must be a duration string'],
    ['a zero duration', { worker_timeout: '0s' }, 'worker_timeout: must be longer than zero'],
    ['worker_timeout equal to task_timeout', { worker_timeout: '10m', task_timeout: '10m' }, 'worker_timeout (10m) must be shorter than task_timeout (10m)'],
    ['worker_timeout longer than task_timeout', { worker_timeout: '1h', task_timeout: '90s' }, 'worker_timeout (1h) must be shorter than task_timeout (90s)'],
    ['worker_timeout above the default task_timeout', { worker_timeout: '1h' }, 'worker_timeout (1h) must be shorter than task_timeout (10m)'],
    ['a bad listen', { listen: 'everywhere' }, 'listen: "everywhere" is not host:port'],
    ['a bad blocklist_threshold', { blocklist_threshold: 0 }, 'blocklist_threshold: must be an integer'],
    ['a bad task_fail_after_softfail_count', { task_fail_after_softfail_count: 1.5 }, 'task_fail_after_softfail_count: must be an integer'],
    ['a bad job_fail_share', { job_fail_share: 2 }, 'job_fail_share: must be a number in (0, 1]'],
    ['a bad registration_secret', { registration_secret: 42 }, 'registration_secret: must be a string'],
    ['bad variables', { variables: { storage: { values: [] } } }, 'variables.storage.values: must be a non-empty array'],
    ['a bad variable audience', { variables: { storage: { values: [{ platform: 'linux', value: '/x', audience: 'cats' }] } } }, 'variables.storage.values[0].audience'],
  ];

  it.each(badConfigs)('a config file with %s', async (_what, doc, message) => {
    const dir = tempDir();
    const file = writeConfig(dir, doc);
    const r = await refusedServe(['--config', file, '--listen', '127.0.0.1:0'], dir, message);
    expect(r.stderr).toContain(file);
    expect(r.code).toBe(2);
  });

  it('refuses a data directory that is a file', async () => {
    const file = path.join(tempDir(), 'plain');
    writeFileSync(file, '');
    const r = await runCli(['serve', '--data-dir', file, '--listen', '127.0.0.1:0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('not a directory');
    expect(r.stderr).not.toContain(STACK_LINE);
  });
});

describe('serve logs', { timeout: 30_000 }, () => {
  it('name jobs and workers beside their ids, and log jobs that the CLI of another process submitted as they appear', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const reg = await request(s.url, 'POST', '/register-worker', {
      body: { secret: 'a-long-enough-secret-123', platform: 'linux', nickname: 'node-07', supported_task_types: ['sleep'] },
    });
    const worker = reg.json._id as string;
    // Submitted by another process on the same data directory: serve hears of it through its events journal.
    const job = JSON.stringify({ name: 'shot 12 from the CLI', job_type: 'sleep', settings: { frames: '1-4', chunk_size: 2, time_in_seconds: 0 } });
    const sub = await runCliProcess(['submit', '-', '--data-dir', dir], { input: job });
    expect(sub.code, sub.stderr).toBe(0);
    const id = sub.stdout.trim();
    await waitFor(() => s.stderr().includes('source="another process"'), 5000, 'the log line of the job submitted elsewhere');
    const line = s
      .stderr()
      .split('\n')
      .find((l) => l.includes('msg="job submitted"'))!;
    expect(line).toContain(`job=${id} name="shot 12 from the CLI" job_type=sleep tasks=2 source="another process"`);
    // Acting on it from serve's own API: the job's and the worker's names beside the ids.
    const token = readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    expect((await request(s.url, 'POST', `/api/jobs/${id}/pause`, { auth: `Bearer ${token}` })).status).toBeLessThan(300);
    expect((await request(s.url, 'POST', `/api/workers/${worker}/status`, { auth: `Bearer ${token}`, body: { status: 'asleep' } })).status).toBeLessThan(300);
    await waitFor(() => /msg="worker status change requested"/.test(s.stderr()), 5000, 'the status change line');
    const r = await s.stop();
    const lines = r.stderr.split('\n');
    expect(lines.find((l) => l.includes('msg="job paused"'))).toContain(`job=${id} job_name="shot 12 from the CLI"`);
    expect(lines.find((l) => l.includes('msg="worker status change requested"'))).toContain(`worker=${worker} nickname=node-07`);
    // Logged once: serve's own submissions are not logged again when the journal brings them.
    expect(lines.filter((l) => l.includes('msg="job submitted"'))).toHaveLength(1);
  });

  it('writes one logfmt line per notable event', async () => {
    const s = await startServe(['--data-dir', tempDir()]);
    const reg = await request(s.url, 'POST', '/register-worker', {
      body: { secret: 'a-long-enough-secret-123', platform: 'linux', nickname: 'logger', supported_task_types: ['sleep'] },
    });
    expect(reg.status).toBe(200);
    await waitFor(() => /msg="worker registered".*nickname=logger/.test(s.stderr()), 5000, 'the registration log line');
    const r = await s.stop();
    const lines = r.stderr.trim().split('\n');
    for (const l of lines) expect(l).toMatch(/^time=\S+ level=(debug|info|warn|error) msg=/);
    expect(lines.filter((l) => l.includes('worker registered'))).toHaveLength(1);
  });
});
