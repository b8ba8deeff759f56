// Requests handled in one event-loop turn share one commit; each answer still waits for it.
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open';
import { customJob, registerWorker, testServer } from '../helpers/env';

describe('group commit', () => {
  it('commits concurrent updates before answering them; a refused update in the same turn leaves them alone', async () => {
    const s = await testServer();
    s.manager.jobs.submit(customJob(Array.from({ length: 6 }, (_, i) => ({ name: `t${i}` }))));
    const workers = await Promise.all(Array.from({ length: 6 }, () => registerWorker(s.url)));
    const tasks = await Promise.all(workers.map((w) => w.call('POST', '/task')));
    expect(tasks.every((t) => t.status === 200)).toBe(true);
    // Six completions and one bad update arrive together.
    const answers = await Promise.all([
      ...workers.map((w, i) => w.call('POST', `/tasks/${tasks[i]!.json._id}/update`, { task_status: 'completed', log: `done ${i}` })),
      workers[0]!.call('POST', `/tasks/${tasks[1]!.json._id}/update`, { task_status: 'failed' }),
    ]);
    expect(answers.slice(0, 6).map((a) => a.status)).toEqual([204, 204, 204, 204, 204, 204]);
    expect(answers[6]!.status).toBe(409);
    // A second connection sees every acknowledged change: it is committed, not just in memory.
    const other = openDatabase(s.dataDir);
    try {
      const done = other.prepare("SELECT COUNT(*) FROM tasks WHERE status = 'completed'").pluck().get();
      expect(done).toBe(6);
      expect(other.prepare('SELECT status FROM jobs').pluck().get()).toBe('completed');
    } finally {
      other.close();
    }
    expect(s.db.inTransaction).toBe(false);
  });

  it('writes of one event-loop turn share one commit, which other connections see only once it is done', async () => {
    const s = await testServer();
    const m = s.manager;
    const before = m.batch.commits;
    const ids = [0, 1, 2, 3, 4].map((i) => m.batch.run(() => m.jobs.submit(customJob([{ name: `t${i}` }])).id));
    // A failing operation in the same turn undoes only its own writes.
    expect(() => m.batch.run(() => m.jobActions.resume(ids[0]!))).toThrow(/only a paused or pause-requested job can be resumed/);
    const other = openDatabase(s.dataDir);
    try {
      const count = other.prepare('SELECT COUNT(*) FROM jobs').pluck();
      expect(count.get()).toBe(0);
      await m.batch.committed();
      expect(count.get()).toBe(5);
    } finally {
      other.close();
    }
    expect(m.batch.commits - before).toBe(1);
  });
});
