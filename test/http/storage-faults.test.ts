// Acknowledged means durable: an update is answered 2xx only once its log lines are on disk, and a
// storage failure (disk full, read-only database) is a 503 saying what is wrong, never a 500 or a
// silent loss. Real faults: a log file that is /dev/full (ENOSPC from the kernel), SQLite's own
// page limit ("database or disk is full") and a read-only connection.
import { readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registerWorker, request, testServer } from '../helpers/env';
import { claim, logPath, submitJob, taskRec } from '../helpers/protocol';

describe('a task log that cannot be written', { timeout: 30_000 }, () => {
  it('answers 503 saying so, changes nothing, and takes the same update once the disk has room again', async () => {
    const s = await testServer();
    const { jobId } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    const task = await claim(w);
    await s.manager.taskLogs.idle();
    const file = logPath(s, jobId, task._id);
    // Every write to this log now fails with ENOSPC, as on a full disk.
    renameSync(file, `${file}.kept`);
    symlinkSync('/dev/full', file);

    const update = { activity: 'frame 1 done', task_progress_percentage: 50, log: 'frame 1 rendered' };
    const refused = await w.call('POST', `/tasks/${task._id}/update`, update);
    expect(refused.status, refused.text).toBe(503);
    expect(refused.json.error.message).toMatch(/^the task log could not be written: no space left on the device/);
    expect(refused.text).not.toContain('internal');
    // Refused means not applied: the worker keeps the update and sends it again.
    expect(taskRec(s, task._id)).toMatchObject({ activity: expect.not.stringContaining('frame 1'), task_progress: 0 });

    // Space is back: the same update goes through, and its lines are in the log exactly once.
    rmSync(file);
    renameSync(`${file}.kept`, file);
    const again = await w.call('POST', `/tasks/${task._id}/update`, update);
    expect(again.status, again.text).toBe(204);
    expect(taskRec(s, task._id)).toMatchObject({ activity: 'frame 1 done', task_progress: 50 });
    expect(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l === 'frame 1 rendered'),
    ).toHaveLength(1);
  });
});

describe('a database that cannot take writes', { timeout: 60_000 }, () => {
  it('answers 503 "the disk holding the database is full" while SQLite is full, and recovers by itself', async () => {
    const s = await testServer();
    // SQLite's own limit: any write that needs a new page fails with SQLITE_FULL, like a full disk.
    s.db.pragma(`max_page_count = ${s.db.pragma('page_count', { simple: true })}`);
    const statuses: number[] = [];
    let full: any;
    for (let i = 0; i < 400 && !full; i++) {
      const r = await request(s.url, 'POST', '/register-worker', {
        body: { secret: `a-secret-long-enough-${i}`, platform: 'linux', nickname: `w${i}-${'n'.repeat(200)}`, supported_task_types: ['sleep'] },
      });
      statuses.push(r.status);
      if (r.status !== 200) full = r;
    }
    expect(full?.status, full ? full.text : 'the database never filled up').toBe(503);
    expect(full.json.error.message).toMatch(/^the disk holding the database is full/);
    expect(statuses.filter((st) => st !== 200 && st !== 503)).toEqual([]);

    s.db.pragma('max_page_count = 1073741823');
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/task')).status).toBe(204);
  });

  it('answers 503 naming a read-only database, and recovers once it is writable', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    s.db.pragma('query_only = ON');
    const r = await w.call('POST', '/sign-off');
    expect(r.status, r.text).toBe(503);
    expect(r.json.error.message).toMatch(/^the database is read-only/);
    s.db.pragma('query_only = OFF');
    expect((await w.call('POST', '/sign-off')).status).toBe(204);
  });
});
