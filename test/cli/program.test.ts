// The program as a whole: --help and --version everywhere, usage errors, where the data
// directory comes from, admin-token, and unusable data directories.
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open';
import { tempDir } from '../helpers/env';
import { BUNDLE, type CliResult, farmDir, initDataDir, runCli, runCliProcess, runJson, startServe, STACK_LINE } from '../helpers/cli';

const SUBCOMMANDS = ['serve', 'submit', 'list-workers', 'queue-status', 'requeue', 'set-worker-status', 'admin-token'];
const JSON_SUBCOMMANDS = ['submit', 'list-workers', 'queue-status', 'requeue', 'set-worker-status', 'admin-token'];
const VERSION = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version as string;

describe('flamenco-mgr --help and --version', { timeout: 30_000 }, () => {
  it('prints the version and exits 0', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^flamenco-mgr ${VERSION.replace(/\./g, '\\.')} \\(commit \\S+\\)\\n$`));
      expect(r.stderr).toBe('');
    }
  });

  it('lists every subcommand in the program help', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: flamenco-mgr');
      for (const c of SUBCOMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    }
  });

  it('has --help on every subcommand, showing --data-dir, and --json where it applies', async () => {
    const results = await Promise.all(SUBCOMMANDS.map((c) => runCli([c, '--help'])));
    SUBCOMMANDS.forEach((c, i) => {
      const r = results[i]!;
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toContain(`Usage: flamenco-mgr ${c}`);
      expect(r.stdout, c).toContain('--data-dir <dir>');
      expect(r.stdout, c).toContain('FLAMENCO_MGR_DATA_DIR');
      if (JSON_SUBCOMMANDS.includes(c)) expect(r.stdout, c).toContain('--json');
      else expect(r.stdout, c).not.toContain('--json');
    });
  });

  it("documents each subcommand's own options", async () => {
    const expected: Record<string, string[]> = {
      serve: ['--listen <host:port>', '--config <file.json>', '--log-level <level>'],
      submit: ['<file>'],
      'queue-status': ['--job <id>'],
      requeue: ['--job <id>', '--failed-only', '--task <id...>', '--worker <id>'],
      'set-worker-status': ['<worker-id>', '<status>', '--lazy'],
    };
    for (const [c, flags] of Object.entries(expected)) {
      const r = await runCli(['help', c]);
      expect(r.code, c).toBe(0);
      for (const f of flags) expect(r.stdout, `${c} ${f}`).toContain(f);
    }
  });

  it('has --help and --version on every subcommand the program lists', async () => {
    const help = (await runCli(['--help'])).stdout;
    const listed = [...help.slice(help.indexOf('Commands:')).matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(listed).toEqual(expect.arrayContaining(SUBCOMMANDS));
    const results = await Promise.all(listed.flatMap((c) => [runCli([c, '--help']), runCli([c, '--version'])]));
    listed.forEach((c, i) => {
      const [h, v] = [results[2 * i]!, results[2 * i + 1]!];
      expect(h.code, `${c} --help`).toBe(0);
      expect(h.stdout, c).toContain(`Usage: flamenco-mgr ${c}`);
      expect(h.stdout, c).toContain('--data-dir <dir>');
      expect(v.code, `${c} --version`).toBe(0);
      expect(v.stdout, c).toContain(`flamenco-mgr ${VERSION}`);
    });
  });

  it('has --version on every subcommand', async () => {
    const results = await Promise.all(SUBCOMMANDS.map((c) => runCli([c, '--version'])));
    SUBCOMMANDS.forEach((c, i) => {
      expect(results[i]!.code, c).toBe(0);
      expect(results[i]!.stdout, c).toContain(`flamenco-mgr ${VERSION}`);
    });
  });
});

describe('usage errors', { timeout: 30_000 }, () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['list-workers', '--bogus'], /unknown option '--bogus'/],
    [['list-workers', 'extra'], /too many arguments/],
    [['submit'], /missing required argument 'file'/],
    [['set-worker-status'], /missing required argument 'worker-id'/],
    [['set-worker-status', '0123456789abcdef01234567'], /missing required argument 'status'/],
    [['queue-status', '--job'], /option '--job <id>' argument missing/],
    [['serve', '--json'], /unknown option '--json'/],
  ])('%j is refused with a usage message', async (args, message) => {
    const [cmd, ...rest] = args;
    const r = await runCli([cmd!, '--data-dir', tempDir(), ...rest]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('--help');
    expect(r.stderr).not.toContain(STACK_LINE);
    expect(r.stdout).toBe('');
  });

  it('prints help and exits non-zero with no subcommand', async () => {
    const r = await runCli([]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('Usage: flamenco-mgr');
  });
});

describe('the data directory', { timeout: 30_000 }, () => {
  it('comes from FLAMENCO_MGR_DATA_DIR when --data-dir is not given', async () => {
    const dir = initDataDir(path.join(tempDir(), 'from-env'));
    const r = await runCli(['admin-token'], { env: { FLAMENCO_MGR_DATA_DIR: dir } });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'admin-token'), 'utf8').trim()).toBe(r.stdout.trim());

    const sub = await runJson(['submit', '-'], { env: { FLAMENCO_MGR_DATA_DIR: dir }, input: JSON.stringify(sleepJob('env job')) });
    const q = await runJson(['queue-status', '--data-dir', dir]);
    expect(q.jobs.map((j: any) => j.id)).toEqual([sub.id]);
  });

  it('--data-dir wins over FLAMENCO_MGR_DATA_DIR', async () => {
    const fromEnv = path.join(tempDir(), 'env');
    const fromFlag = initDataDir(path.join(tempDir(), 'flag'));
    const sub = await runJson(['submit', '-', '--data-dir', fromFlag], { env: { FLAMENCO_MGR_DATA_DIR: fromEnv }, input: JSON.stringify(sleepJob('flag job')) });
    expect((await runJson(['queue-status', '--data-dir', fromFlag])).jobs.map((j: any) => j.id)).toEqual([sub.id]);
    expect(existsSync(path.join(fromEnv, 'flamenco-mgr.sqlite'))).toBe(false);
  });

  it('defaults to ./flamenco-data in the working directory', async () => {
    const cwd = tempDir();
    initDataDir(path.join(cwd, 'flamenco-data'));
    const r = await runCli(['admin-token'], { cwd });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(cwd, 'flamenco-data', 'admin-token'), 'utf8').trim()).toBe(r.stdout.trim());
  });

  it('resolves a relative --data-dir against the working directory', async () => {
    const cwd = tempDir();
    initDataDir(path.join(cwd, 'rel', 'dir'));
    const r = await runCli(['list-workers', '--data-dir', 'rel/dir'], { cwd });
    expect(r.code).toBe(0);
    expect(existsSync(path.join(cwd, 'rel', 'dir', 'flamenco-mgr.sqlite'))).toBe(true);
  });

  it.each(['list-workers', 'queue-status', 'admin-token'])('%s refuses a data directory that is a file, without a stack trace', async (cmd) => {
    const file = path.join(tempDir(), 'plain-file');
    writeFileSync(file, 'x');
    const r = await runCli([cmd, '--data-dir', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`cannot use data directory ${file}: it is not a directory`);
    expect(r.stderr).not.toContain(STACK_LINE);
    expect(r.stdout).toBe('');
  });

  it('refuses a data directory below a file', async () => {
    const file = path.join(tempDir(), 'plain-file');
    writeFileSync(file, 'x');
    const r = await runCli(['list-workers', '--data-dir', path.join(file, 'sub')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('not a directory');
    expect(r.stderr).not.toContain(STACK_LINE);
  });

  it('says so when the database file is not a database', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'flamenco-mgr.sqlite'), 'this is not SQLite, it is just text that is long enough '.repeat(20));
    const r = await runCli(['list-workers', '--data-dir', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^flamenco-mgr: .*flamenco-mgr\.sqlite is not a usable SQLite database/);
    expect(r.stderr).not.toContain(STACK_LINE);
    expect(r.stderr).not.toContain('internal error');
  });

  it('refuses a database made by a newer flamenco-mgr', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    db.pragma('user_version = 9999');
    db.close();
    const r = await runCli(['queue-status', '--data-dir', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^flamenco-mgr: this database has schema version 9999, newer than this flamenco-mgr understands/);
    expect(r.stderr).not.toContain(STACK_LINE);
  });
});

describe('a data directory without a database', { timeout: 30_000 }, () => {
  const UNKNOWN_ID = '0123456789abcdef01234567';
  // Commands that read or change the farm, each with valid arguments: only the missing database stops them.
  const COMMANDS: [string, string[], string?][] = [
    ['list-workers', ['list-workers']],
    ['queue-status', ['queue-status']],
    ['submit', ['submit', '-'], JSON.stringify(sleepJob('lost job'))],
    ['requeue', ['requeue', '--job', UNKNOWN_ID]],
    ['jobs', ['jobs']],
  ];

  /** The refusal every such command gives: exit 2, one line naming the directory, no output. */
  function expectRefused(r: CliResult, dir: string, what: string): void {
    expect(r.code, `${what}: ${r.stderr}`).toBe(2);
    expect(r.stdout, what).toBe('');
    expect(r.stderr, what).toMatch(/^flamenco-mgr: [^\n]*\n$/);
    expect(r.stderr, what).toContain(`no flamenco-mgr database in ${dir}: `);
    expect(r.stderr, what).toContain("start 'flamenco-mgr serve' with this data directory first");
    expect(r.stderr, what).toContain('--data-dir (or $FLAMENCO_MGR_DATA_DIR)');
    expect(r.stderr, what).not.toContain(STACK_LINE);
    expect(r.stderr, what).not.toContain('internal error');
  }

  async function runAll(args: (cmd: string[]) => string[], opts: { env?: Record<string, string>; cwd?: string } = {}) {
    const runs = COMMANDS.flatMap(([name, cmd, input]) =>
      [[], ['--json']].map(async (json) => ({ what: `${name} ${json.join('')}`.trim(), r: await runCli([...args(cmd), ...json], { ...opts, input }) })),
    );
    return Promise.all(runs);
  }

  it('admin-token is refused like the others and creates neither the directory nor a token', async () => {
    const parent = tempDir();
    const missing = path.join(parent, 'mistyped');
    const empty = tempDir();
    for (const dir of [missing, empty]) {
      const r = await runCli(['admin-token', '--data-dir', dir]);
      expectRefused(r, dir, `admin-token in ${dir}`);
    }
    expect(readdirSync(parent)).toEqual([]);
    expect(readdirSync(empty)).toEqual([]);
  });

  it('is refused when it does not exist, and stays absent', async () => {
    const parent = tempDir();
    const dir = path.join(parent, 'mistyped', 'farm');
    const cwd = tempDir();
    for (const { what, r } of await runAll((cmd) => [...cmd, '--data-dir', dir], { cwd })) {
      expectRefused(r, dir, what);
      expect(r.stderr, what).not.toContain('--manager'); // --data-dir names this machine's farm
    }
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('is refused when it is an empty directory, and stays empty', async () => {
    const dir = tempDir();
    for (const { what, r } of await runAll((cmd) => [...cmd, '--data-dir', dir])) expectRefused(r, dir, what);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is refused the same way when it comes from FLAMENCO_MGR_DATA_DIR', async () => {
    const dir = tempDir();
    const missing = path.join(dir, 'missing');
    for (const target of [dir, missing]) {
      for (const { what, r } of await runAll((cmd) => cmd, { env: { FLAMENCO_MGR_DATA_DIR: target } })) expectRefused(r, target, what);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is refused for the default ./flamenco-data, which is not created', async () => {
    const cwd = tempDir();
    for (const { what, r } of await runAll((cmd) => cmd, { cwd })) {
      expectRefused(r, path.join(cwd, 'flamenco-data'), what);
      // On a workstation, where no farm is: the way to the manager over HTTP.
      expect(r.stderr, what).toContain("; on another machine than the manager's, give --manager <url> (or $FLAMENCO_MGR_URL) and the admin token\n");
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('names a relative --data-dir resolved against the working directory', async () => {
    const cwd = tempDir();
    const r = await runCli(['list-workers', '--data-dir', 'rel/dir'], { cwd });
    expectRefused(r, path.join(cwd, 'rel', 'dir'), 'list-workers');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('gets its database from serve, after which the other commands accept it', async () => {
    const dir = path.join(tempDir(), 'fresh', 'farm');
    const s = await startServe(['--data-dir', dir]);
    expect(existsSync(path.join(dir, 'flamenco-mgr.sqlite'))).toBe(true);
    expect(await runJson(['list-workers', '--data-dir', dir])).toEqual([]);
    const sub = await runJson(['submit', '-', '--data-dir', dir], { input: JSON.stringify(sleepJob('after serve')) });
    const stopped = await s.stop();
    expect(stopped.code).toBe(0);
    expect((await runJson(['queue-status', '--data-dir', dir])).jobs.map((j: any) => j.id)).toEqual([sub.id]);
  });
});

describe('admin-token', { timeout: 30_000 }, () => {
  it('prints a token, keeps it in a 0600 file, and prints the same one next time', async () => {
    const dir = farmDir();
    const a = await runCli(['admin-token', '--data-dir', dir]);
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    const token = a.stdout.trim();
    expect(a.stdout).toBe(token + '\n');
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const file = path.join(dir, 'admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const b = await runCli(['admin-token', '--data-dir', dir]);
    expect(b.stdout).toBe(a.stdout);
  });

  it('gives different data directories different tokens', async () => {
    const [a, b] = await Promise.all([runCli(['admin-token', '--data-dir', farmDir()]), runCli(['admin-token', '--data-dir', farmDir()])]);
    expect(a.stdout).not.toBe(b.stdout);
  });
});

function sleepJob(name: string) {
  return { name, job_type: 'sleep', settings: { frames: '1-3' } };
}

describe('output into a closed pipe', () => {
  it('exits quietly when the reader stops early', async () => {
    const { spawnSync } = await import('node:child_process');
    const dir = farmDir();
    for (let i = 0; i < 3; i++)
      await runCli(['submit', '-', '--data-dir', dir], { input: JSON.stringify({ name: `j${i}`, job_type: 'sleep', settings: { frames: '1-2000', time_in_seconds: 0 } }) });
    const bundle = BUNDLE;
    const r = spawnSync(
      '/bin/sh',
      [
        '-c',
        `"${process.execPath}" "${bundle}" job $("${process.execPath}" "${bundle}" jobs --json --data-dir "${dir}" | grep -m1 '"id"' | cut -d'"' -f4) --data-dir "${dir}" | head -1`,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/EPIPE| {4}at /);
    expect(r.stdout.split('\n')[0]).toMatch(/^job [0-9a-f]{24}: j0$/);
  });
});

// The in-process runs above share the program's code with the bundle; these check the process
// boundary itself: what the built program prints and exits with as a real child process.
describe('the bundle as a process', { timeout: 30_000 }, () => {
  it('answers --version and --help, and exits 0', async () => {
    const v = await runCliProcess(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`^flamenco-mgr ${VERSION.replace(/\./g, '\\.')} \\(commit \\S+\\)\\n$`));
    const h = await runCliProcess(['list-workers', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--data-dir');
  });

  it('exits 2 on a usage error and on a missing data directory, with one line and no stack trace', async () => {
    const usage = await runCliProcess(['frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown command 'frobnicate'");
    const missing = await runCliProcess(['list-workers', '--data-dir', path.join(tempDir(), 'nothing')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^flamenco-mgr: no flamenco-mgr database in .*\n$/);
    expect(missing.stderr).not.toContain(STACK_LINE);
  });

  it('exits 3 for an unknown id and prints JSON on stdout', async () => {
    const dir = farmDir();
    const unknown = await runCliProcess(['job', '0123456789abcdef01234567', '--data-dir', dir]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe('flamenco-mgr: job 0123456789abcdef01234567 not found\n');
    const jobs = await runCliProcess(['jobs', '--json', '--data-dir', dir]);
    expect(jobs.code).toBe(0);
    expect(JSON.parse(jobs.stdout)).toEqual([]);
  });
});
