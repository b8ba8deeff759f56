// A killed serve loses nothing it acknowledged: what was answered 204 is on disk.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open';
import { TaskLogs } from '../../src/core/protocol/task-logs';
import { registerWorker, tempDir } from '../helpers/env';
import { runCli, startServe } from '../helpers/cli';
import path from 'node:path';

describe('serve killed with SIGKILL', () => {
  it('keeps every update it answered 204, and the next serve picks up from there', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const serve = await startServe(['--data-dir', dir]);
    const job = { name: 'crash', job_type: 'custom', tasks: [{ name: 'a', task_type: 'sleep', commands: [{ name: 'echo', settings: {} }] }, { name: 'b', task_type: 'sleep', commands: [{ name: 'echo', settings: {} }] }] };
    expect((await runCli(['submit', '-', '--data-dir', dir], { input: JSON.stringify(job) })).code).toBe(0);
    const w = await registerWorker(serve.url);
    const a = await w.call('POST', '/task');
    expect(a.status).toBe(200);
    expect((await w.call('POST', `/tasks/${a.json._id}/update`, { task_status: 'completed', log: 'rendered frame 1' })).status).toBe(204);
    const b = await w.call('POST', '/task');
    expect((await w.call('POST', `/tasks/${b.json._id}/update`, { activity: 'half way', task_progress_percentage: 50, log: 'progress 50%' })).status).toBe(204);

    await serve.stop('SIGKILL');

    const db = openDatabase(dir);
    try {
      const row = (id: string) => db.prepare('SELECT status, activity, task_progress, worker_id FROM tasks WHERE id = ?').get(id) as Record<string, unknown>;
      expect(row(a.json._id)).toMatchObject({ status: 'completed', worker_id: w.id });
      expect(row(b.json._id)).toMatchObject({ status: 'active', activity: 'half way', task_progress: 50 });
    } finally {
      db.close();
    }
    const logs = new TaskLogs(path.join(dir, 'task-logs'));
    expect(readFileSync(logs.file(a.json.job, a.json._id), 'utf8')).toContain('rendered frame 1\n');
    expect(readFileSync(logs.file(b.json.job, b.json._id), 'utf8')).toContain('progress 50%\n');

    // The lock of the killed process is stale: a new serve starts, and the worker, restarted too
    // (it signs on), resumes its task.
    const again = await startServe(['--data-dir', dir]);
    const on = await fetch(`${again.url}/sign-on`, { method: 'POST', headers: { Authorization: w.auth, 'Content-Type': 'application/json' }, body: '{}' });
    expect(on.status).toBe(204);
    const r = await fetch(`${again.url}/task`, { method: 'POST', headers: { Authorization: w.auth } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { _id: string })._id).toBe(b.json._id);
    await again.stop();
  });
});
