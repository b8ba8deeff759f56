// Remote mode: every command (but serve and backup) against a real manager on port 0 over its
// HTTP API prints what it prints on the manager's data directory — --json byte for byte — and a
// wrong token, an unreachable manager and another version each get one line and their own code.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LocalClient } from '../../src/cli/client/local';
import { RemoteClient } from '../../src/cli/client/remote';
import { liveLoop } from '../../src/cli/live';
import { ManualClock } from '../../src/core/support/clock';
import { ADMIN_TOKEN, onCleanup, registerWorker, tempDir, testServer } from '../helpers/env';
import { readdirSync } from 'node:fs';
import { runCli, runCliProcess } from '../helpers/cli';
import { api, fetchTask, submit } from '../api/helpers';

async function farm() {
  // The manager's clock is the real time, as the CLI's on the same data directory is.
  const s = await testServer({ clock: new ManualClock(Date.now()), config: { blocklist_threshold: 1, job_fail_share: 1 } });
  const shot = submit(s, [{ name: 'render-1-10' }, { name: 'render-11-20', parents: ['render-1-10'] }, { name: 'other' }], { name: 'shot 12', metadata: { project: 'sprite' } });
  submit(s, [{ name: 'x' }], { name: 'twin' });
  submit(s, [{ name: 'x' }], { name: 'twin' });
  submit(s, [{ name: 'encode', type: 'ffmpeg' }], { name: 'needs ffmpeg' });
  const w1 = await registerWorker(s.url, { nickname: 'node-1' });
  const w2 = await registerWorker(s.url, { nickname: 'node-2', platform: 'windows' });
  const t1 = await fetchTask(w1);
  await w1.call('POST', `/tasks/${t1._id}/update`, { task_status: 'active', log: 'frame 1\nframe 2' });
  await w1.call('POST', `/tasks/${t1._id}/update`, { task_status: 'failed', log: 'boom' });
  const t2 = await fetchTask(w2);
  await w2.call('POST', `/tasks/${t2._id}/update`, { task_status: 'active', log: 'working' });
  await api(s, 'PUT', `/api/workers/${w2.id}/sleep-schedule`, { body: { days: 'sa su', start: '22:00', end: '06:00' } });
  await s.manager.taskLogs.idle();
  return { s, shot, w1, w2, t1, t2 };
}

function remote(s: { url: string }): string[] {
  return ['--manager', s.url, '--token', ADMIN_TOKEN];
}

describe('remote mode prints what local mode prints', { timeout: 60_000 }, () => {
  it('for the views, their --json, names, runs and errors', async () => {
    const { s, shot, w1, w2, t1, t2 } = await farm();
    const commands: string[][] = [
      ['jobs'],
      ['jobs', '--json'],
      ['jobs', '--all'],
      ['jobs', '--limit', '2'],
      ['jobs', '--status', 'queued', '--json'],
      ['job', 'shot 12'],
      ['job', 'shot 12', '--json'],
      ['job', shot.job, '--status', 'queued', '--json'],
      ['job', 'shot 12', '--limit', '1'],
      ['queue-status'],
      ['queue-status', '--json'],
      ['queue-status', '--job', 'shot 12', '--json'],
      ['list-workers'],
      ['list-workers', '--json'],
      ['list-workers', '-o', 'wide'],
      ['task-log', t1._id],
      ['task-log', t1._id, '--json'],
      ['task-log', t1._id, '--tail', '1'],
      ['task-log', t2._id, '--all-runs', '--json'],
      ['task-log', t2._id, '--run', '1'],
      ['task-log', 'shot 12/render-1-10'],
      ['blocklist'],
      ['blocklist', '--json'],
      ['blocklist', '--job', 'shot 12', '--json'],
      ['sleep-schedule', 'node-2'],
      ['sleep-schedule', w2.id, '--json'],
      ['sleep-schedule', 'node-1', '--json'],
      ['job-types', '--json'],
      ['worker-tags', 'node-1'],
      ['worker-tags', w2.id, '--json'],
      ['webhooks'],
      ['webhooks', '--json'],
      ['wait-job', 'needs ffmpeg', '--json'],
      // Refusals: the same line and exit code.
      ['job', 'nothing'],
      ['job', 'twin'],
      ['task-log', t1._id, '--run', '9'],
      ['set-worker-status', 'node-1', 'dancing'],
      ['cancel-job', '0123456789abcdef01234567'],
      ['resume-job', 'shot 12'],
      ['jobs', '--status', 'bogus'],
    ];
    void w1;
    for (const cmd of commands) {
      // wait-job on a queued job would wait: stop it after one look on both sides.
      const saved = liveLoop.wait;
      liveLoop.wait = async () => true;
      try {
        const local = await runCli([...cmd, '--data-dir', s.dataDir]);
        const far = await runCli([...cmd, ...remote(s)]);
        // --json byte for byte; in tables only "5s ago" may differ, the two runs being moments apart
        // (and the database's last_seen, "<15s ago", is less exact than serve's, with the columns' widths).
        const ago = (r: typeof local) => (cmd.includes('--json') ? r : { ...r, stdout: r.stdout.replace(/<?\b\d+[smhd] ago\b/g, 'N ago').replace(/ +/g, ' ') });
        expect(ago(far), cmd.join(' ')).toEqual(ago(local));
        const refused =
          cmd.includes('nothing') ||
          cmd.includes('twin') ||
          cmd.includes('9') ||
          cmd.includes('dancing') ||
          cmd.includes('bogus') ||
          cmd[0] === 'cancel-job' ||
          cmd[0] === 'resume-job';
        const what = `${cmd.join(' ')}: ${local.stderr}`;
        if (cmd[0] === 'wait-job') expect(local.code, what).toBe(130);
        else if (refused) expect(local.code, what).toBeGreaterThan(1);
        else expect(local.code, what).toBe(0);
      } finally {
        liveLoop.wait = saved;
      }
    }
  });

  it('for the actions, which act on the remote manager', async () => {
    const { s, t2 } = await farm();
    const r = remote(s);
    const summary = (out: string) => {
      const { updated: _u, ...rest } = JSON.parse(out);
      return rest;
    };
    const pair = async (cmd: string[], undo?: string[]) => {
      const local = await runCli([...cmd, '--json', '--data-dir', s.dataDir]);
      if (undo) expect((await runCli([...undo, '--data-dir', s.dataDir])).code).toBe(0);
      const far = await runCli([...cmd, '--json', ...r]);
      expect(far.code, `${cmd.join(' ')}: ${far.stderr}`).toBe(local.code);
      return { local, far };
    };
    let p = await pair(['set-priority', 'shot 12', '70']);
    expect(summary(p.far.stdout)).toEqual(summary(p.local.stdout));
    p = await pair(['pause-job', 'needs ffmpeg'], ['resume-job', 'needs ffmpeg']);
    expect(summary(p.far.stdout)).toEqual(summary(p.local.stdout));
    expect(JSON.parse(p.far.stdout).status).toBe('paused');
    p = await pair(['set-worker-status', 'node-1', 'asleep', '--lazy']);
    expect(p.far.stdout).toBe(p.local.stdout);
    p = await pair(['sleep-schedule', 'node-1', '--start', '23:00', '--end', '05:00']);
    expect(p.far.stdout).toBe(p.local.stdout);
    p = await pair(['worker-tags', 'node-1', '--set', 'gpu,linux']);
    expect(p.far.stdout).toBe(p.local.stdout);
    expect(JSON.parse(p.far.stdout).tags).toEqual(['gpu', 'linux']);
    p = await pair(['blocklist', 'clear', '--job', 'shot 12']);
    expect(JSON.parse(p.far.stdout)).toEqual({ removed: 0 });
    p = await pair(['prune-jobs', '--older-than', '30d']);
    expect(p.far.stdout).toBe(p.local.stdout);
    const sub = await runCli(['submit', '-', '--json', ...r], { input: JSON.stringify({ name: 'remote one', job_type: 'sleep', settings: { frames: '1-4', chunk_size: 2 } }) });
    expect(JSON.parse(sub.stdout)).toMatchObject({ tasks: 2, warnings: [] });
    expect(s.manager.readModels.job(JSON.parse(sub.stdout).id).name).toBe('remote one');
    expect(JSON.parse((await runCli(['requeue', '--task', t2._id, '--json', ...r])).stdout)).toEqual({ requeued: 1 });
    expect(JSON.parse((await runCli(['requeue', '--worker', 'node-2', '--json', ...r])).stdout)).toEqual({ requeued: 0 });
    expect(JSON.parse((await runCli(['requeue', '--job', 'remote one', '--json', ...r])).stdout)).toEqual({ requeued: 0 });
    expect((await runCli(['delete-job', 'remote one', ...r])).stdout).toMatch(/^deleted job [0-9a-f]{24}\n$/);
    expect((await runCli(['forget-worker', 'node-2', '--json', ...r])).stdout).toMatch(/"requeued": 0/);
    expect((await runCli(['sleep-schedule', 'node-1', '--off', ...r])).code).toBe(0);
    expect((await runCli(['cancel-job', 'shot 12', ...r])).stdout).toMatch(/^canceled job [0-9a-f]{24} \(shot 12\)/);
    expect(s.manager.readModels.job(s.manager.names.job('shot 12')).status).toMatch(/cancel/);
  });

  it('follows a log until the task ends and waits for a job', async () => {
    const { s, t2, w2 } = await farm();
    const saved = liveLoop.wait;
    onCleanup(() => {
      liveLoop.wait = saved;
    });
    let n = 0;
    liveLoop.wait = async () => {
      n++;
      if (n === 1) await w2.call('POST', `/tasks/${t2._id}/update`, { task_status: 'active', log: 'more' });
      if (n === 2) await w2.call('POST', `/tasks/${t2._id}/update`, { task_status: 'completed', log: 'done' });
      return n > 5;
    };
    const f = await runCli(['task-log', t2._id, '--follow', ...remote(s)]);
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/assigned task .*\nworking\nmore\ndone\n$/);
    expect(f.stderr).toBe(`task ${t2._id} completed\n`);
    n = 0;
    liveLoop.wait = async () => true;
    expect((await runCli(['wait-job', 'twin', ...remote(s)])).code).toBe(2);
  });

  it("reads the same page of a job's tasks as the local client (offset, limit, status)", async () => {
    const { s, shot } = await farm();
    const far = new RemoteClient(s.url, ADMIN_TOKEN);
    const local = new LocalClient(s.manager, () => undefined);
    for (const sel of [{ limit: 1, offset: 1 }, { offset: 2 }, { status: 'queued', limit: 1, offset: 1 }, { offset: 3 }]) {
      const page = await far.jobDetail(shot.job, sel);
      expect(page, JSON.stringify(sel)).toEqual(await local.jobDetail(shot.job, sel));
    }
    expect((await far.jobDetail('shot 12', { limit: 1, offset: 1 })).job.task_list.map((t) => t.name)).toEqual(['render-11-20']);
  });
});

describe('remote mode from the program itself', { timeout: 60_000 }, () => {
  it('works as a real process in a directory without a data directory, and creates none', async () => {
    const { s } = await farm();
    const cwd = tempDir();
    const r = await runCliProcess(['queue-status', '--json'], { cwd, env: { FLAMENCO_MGR_URL: s.url, FLAMENCO_MGR_TOKEN: ADMIN_TOKEN } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe((await runCli(['queue-status', '--json', '--data-dir', s.dataDir])).stdout);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('remote mode errors', { timeout: 30_000 }, () => {
  it('a wrong or missing token: exit 10; an unreachable manager: 11; another version: 12; each one line', async () => {
    const s = await testServer();
    const wrong = await runCli(['jobs', '--manager', s.url, '--token', 'nope']);
    expect(wrong).toMatchObject({ code: 10, stdout: '' });
    expect(wrong.stderr).toMatch(/^flamenco-mgr: the manager at http:\/\/127\.0\.0\.1:\d+ refused the token .*\n$/);
    const none = await runCli(['jobs'], { env: { FLAMENCO_MGR_URL: s.url, FLAMENCO_MGR_TOKEN: undefined, FLAMENCO_MGR_TOKEN_FILE: undefined, XDG_CONFIG_HOME: '/nonexistent' } });
    expect(none.code).toBe(10);
    expect(none.stderr).toMatch(/^flamenco-mgr: no admin token for .*\n$/);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gone = await runCli(['list-workers', '--manager', `http://127.0.0.1:${port}`, '--token', 'x']);
    expect(gone).toMatchObject({ code: 11, stdout: '' });
    expect(gone.stderr).toBe(`flamenco-mgr: cannot reach the manager at http://127.0.0.1:${port}: ECONNREFUSED\n`);

    const old = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ version: '0.0.1', commit: 'abc1234' }));
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => old.close(() => resolve())));
    const other = await runCli(['queue-status', '--manager', `http://127.0.0.1:${(old.address() as AddressInfo).port}`, '--token', 'x']);
    expect(other.code).toBe(12);
    expect(other.stderr).toMatch(/^flamenco-mgr: the manager at .* runs flamenco-mgr 0\.0\.1; this is flamenco-mgr .*: use the same version on both sides\n$/);

    // Not a flamenco-mgr at all: a web server's 404 page, or JSON of another kind.
    for (const [status, body] of [
      [404, '<html>Not Found</html>'],
      [200, '{"version":"3.6","name":"Flamenco"}'],
      [200, 'hello'],
    ] as const) {
      const stranger = createServer((_req, res) => {
        res.writeHead(status, { 'Content-Type': body.startsWith('{') ? 'application/json' : 'text/html' });
        res.end(body);
      });
      await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
      onCleanup(() => new Promise<void>((resolve) => stranger.close(() => resolve())));
      const url = `http://127.0.0.1:${(stranger.address() as AddressInfo).port}`;
      const r = await runCli(['jobs', '--manager', url, '--token', 'x']);
      expect(r).toMatchObject({ code: 12, stdout: '' });
      expect(r.stderr).toMatch(new RegExp(`^flamenco-mgr: ${url} does not answer like a flamenco-mgr: check the URL \\(it answered GET /api/version [^\n]*\\)\n$`));
      expect(r.stderr).not.toContain('same version');
    }
  });

  it("backup and restore say they run on the manager's machine when given a manager URL", async () => {
    const s = await testServer();
    for (const env of [{}, { FLAMENCO_MGR_URL: s.url }]) {
      const args = 'FLAMENCO_MGR_URL' in env ? ['backup', '/tmp/cliops-x'] : ['backup', '/tmp/cliops-x', '--manager', s.url];
      const r = await runCli(args, { env: { FLAMENCO_MGR_TOKEN: ADMIN_TOKEN, ...env } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^flamenco-mgr: backup reads the data directory itself: run it on the manager's machine \(with --data-dir\), not with a manager URL\n$/);
    }
  });

  it('takes the token from the environment or a file, and refuses --data-dir with --manager or a bad URL', async () => {
    const s = await testServer();
    expect((await runCli(['jobs', '--json'], { env: { FLAMENCO_MGR_URL: s.url, FLAMENCO_MGR_TOKEN: ADMIN_TOKEN } })).stdout).toBe('[]\n');
    const { writeFileSync } = await import('node:fs');
    const file = `${tempDir()}/token`;
    writeFileSync(file, `${ADMIN_TOKEN}\n`);
    expect((await runCli(['jobs', '--json', '--manager', s.url, '--token-file', file])).stdout).toBe('[]\n');
    expect((await runCli(['admin-token', '--manager', s.url, '--token', ADMIN_TOKEN])).stdout).toBe(`${ADMIN_TOKEN}\n`);
    expect((await runCli(['admin-token', '--manager', s.url, '--token', 'wrong'])).code).toBe(10);
    expect((await runCli(['jobs', '--manager', s.url, '--token', 'x', '--data-dir', '/tmp'])).code).toBe(2);
    // --data-dir on the command line beats $FLAMENCO_MGR_URL.
    const here = await runCli(['jobs', '--json', '--data-dir', s.dataDir], { env: { FLAMENCO_MGR_URL: 'http://127.0.0.1:1', FLAMENCO_MGR_TOKEN: 'x' } });
    expect(here).toMatchObject({ code: 0, stdout: '[]\n' });
    expect((await runCli(['jobs', '--manager', 'ftp://x', '--token', 'x'])).code).toBe(2);
  });
});
