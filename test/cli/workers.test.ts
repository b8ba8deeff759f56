// `list-workers` and `set-worker-status`, with workers registered over HTTP against a running serve.
import { describe, expect, it } from 'vitest';
import { registerWorker, tempDir } from '../helpers/env';
import { registerF3 } from '../helpers/f3-worker';
import { farmDir, parseTable, runCli, runJson, startServe, STACK_LINE } from '../helpers/cli';

const UNKNOWN_ID = '0123456789abcdef01234567';
const HEADERS = ['ID', 'NICKNAME', 'STATUS', 'REQUESTED', 'PLATFORM', 'ADDRESS', 'TASK', 'LAST SEEN', 'WORKER', 'TASK TYPES', 'TAGS'];
const JSON_KEYS = [
  'id',
  'nickname',
  'status',
  'status_requested',
  'lazy_status_request',
  'platform',
  'address',
  'software',
  'generation',
  'version',
  'can_restart',
  'supported_task_types',
  'tags',
  'current_task',
  'current_task_name',
  'current_job',
  'current_job_name',
  'last_seen',
  'silent',
];

describe('list-workers', { timeout: 30_000 }, () => {
  it('says so when there are no workers, and prints [] with --json', async () => {
    const dir = farmDir();
    const human = await runCli(['list-workers', '--data-dir', dir]);
    expect(human).toMatchObject({ code: 0, stdout: 'no workers registered\n', stderr: '' });
    const json = await runCli(['list-workers', '--data-dir', dir, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('shows workers registered over HTTP while serve runs, as an aligned table', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const a = await registerWorker(s.url, { nickname: 'render-01', types: ['blender', 'ffmpeg'] });
    const b = await registerWorker(s.url, { nickname: 'a-much-longer-nickname', platform: 'windows', signOn: false });
    const f3 = await registerF3(s.url, { name: 'render-f3' });
    const r = await runCli(['list-workers', '--data-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const rows = parseTable(r.stdout, HEADERS);
    expect(rows).toHaveLength(3);
    // Which worker each is, and its version: Flamenco Worker 2.5 (v2) or the Flamenco 3 Worker (v3).
    expect(rows.find((x) => x.ID === f3.id)).toMatchObject({
      NICKNAME: 'render-f3',
      STATUS: 'awake',
      WORKER: 'v3: 3.9-beta1 (cf286e71)',
      'TASK TYPES': 'blender,ffmpeg,file-management,misc',
    });
    const ra = rows.find((x) => x.ID === a.id)!;
    const rb = rows.find((x) => x.ID === b.id)!;
    expect(ra).toMatchObject({ NICKNAME: 'render-01', STATUS: 'starting', REQUESTED: '-', PLATFORM: 'linux', ADDRESS: '127.0.0.1', TASK: '-', 'TASK TYPES': 'blender,ffmpeg' });
    // Read from the database, which serve updates every 15 s at most: not more exact than that.
    expect(ra['LAST SEEN']).toBe('<15s ago');
    expect(ra.WORKER).toBe('v2: 2.5');
    expect(rb).toMatchObject({ NICKNAME: 'a-much-longer-nickname', STATUS: '(registered)', PLATFORM: 'windows' });
  });

  it('prints every field with --json', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const w = await registerWorker(s.url, { nickname: 'json-worker', types: ['sleep'] });
    const list = await runJson(['list-workers', '--data-dir', dir]);
    expect(list).toHaveLength(1);
    expect(Object.keys(list[0]).sort()).toEqual([...JSON_KEYS].sort());
    expect(list[0]).toMatchObject({
      id: w.id,
      nickname: 'json-worker',
      status: 'starting',
      status_requested: null,
      lazy_status_request: false,
      platform: 'linux',
      address: '127.0.0.1',
      supported_task_types: ['sleep'],
      current_task: null,
    });
    expect(list[0].software).toContain('Flamenco-Worker');
    expect(list[0]).toMatchObject({ generation: 'v2', version: '2.5', can_restart: false });
    expect(Date.parse(list[0].last_seen)).not.toBeNaN();
  });
});

describe('set-worker-status', { timeout: 30_000 }, () => {
  it('asks a worker to change status; the request shows in list-workers and reaches the worker', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const w = await registerWorker(s.url, { nickname: 'sleepy' });
    expect((await w.call('POST', '/task')).status).toBe(204);

    const r = await runCli(['set-worker-status', w.id, 'asleep', '--data-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`asked worker sleepy (${w.id}) to go to sleep now\n`);
    const row = parseTable((await runCli(['list-workers', '--data-dir', dir])).stdout, HEADERS)[0]!;
    expect(row.REQUESTED).toBe('asleep');

    // serve keeps no copy: the worker's next call sees the request written by the CLI.
    const t = await w.call('POST', '/task');
    expect(t.status).toBe(423);
    expect(t.json).toEqual({ status_requested: 'asleep' });
  });

  it.each([
    ['awake', false, 'wake up now'],
    ['asleep', true, 'go to sleep after its current task'],
    ['shutdown', false, 'shut down now'],
    ['shutdown', true, 'shut down after its current task'],
  ] as const)('%s (lazy: %s) in human and --json output', async (status, lazy, words) => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const w = await registerWorker(s.url, { nickname: 'w' });
    const extra = lazy ? ['--lazy'] : [];
    const human = await runCli(['set-worker-status', w.id, status, ...extra, '--data-dir', dir]);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`asked worker w (${w.id}) to ${words}\n`);
    const json = await runJson(['set-worker-status', w.id, status, ...extra, '--data-dir', dir]);
    expect(json).toEqual({ id: w.id, status_requested: status, lazy_status_request: lazy });
    const listed = (await runJson(['list-workers', '--data-dir', dir]))[0];
    expect(listed).toMatchObject({ status_requested: status, lazy_status_request: lazy });
    if (lazy) expect(parseTable((await runCli(['list-workers', '--data-dir', dir])).stdout, HEADERS)[0]!.REQUESTED).toBe(`${status} (lazy)`);
  });

  it('refuses any other status and changes nothing', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const w = await registerWorker(s.url);
    const cases = ['offline', 'testing', 'AWAKE', 'sleep', ''].flatMap((status) => [[status, false] as const, [status, true] as const]);
    const results = await Promise.all(cases.map(([status, json]) => runCli(['set-worker-status', w.id, status, '--data-dir', dir, ...(json ? ['--json'] : [])])));
    cases.forEach(([status], i) => {
      const r = results[i]!;
      expect(r.code, status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`flamenco-mgr: "${status}" cannot be requested; use one of awake, asleep, shutdown, restart\n`);
    });
    expect((await runJson(['list-workers', '--data-dir', dir]))[0].status_requested).toBeNull();
  });

  it.each([UNKNOWN_ID, 'not-an-id'])('refuses an unknown worker %s', async (id) => {
    const r = await runCli(['set-worker-status', id, 'awake', '--data-dir', farmDir()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`flamenco-mgr: worker ${id} not found\n`);
    expect(r.stdout).toBe('');
  });

  it('refuses to wake an offline worker, but lets it be sent to sleep for its next sign-on', async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const w = await registerWorker(s.url, { nickname: 'gone' });
    expect((await w.call('POST', '/sign-off')).status).toBe(204);
    const r = await runCli(['set-worker-status', w.id, 'awake', '--data-dir', dir]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`worker ${w.id} is offline`);
    expect(r.stderr).not.toContain(STACK_LINE);
    expect((await runJson(['list-workers', '--data-dir', dir]))[0]).toMatchObject({ status: 'offline', status_requested: null });
    const ok = await runJson(['set-worker-status', w.id, 'asleep', '--data-dir', dir]);
    expect(ok.status_requested).toBe('asleep');
  });
});
