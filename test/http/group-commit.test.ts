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
});
