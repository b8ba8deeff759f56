// Requests handled in one event-loop turn share one commit; each answer still waits for it.
import { describe, expect, it } from 'vitest';
import { SEEN_WRITE_INTERVAL_MS } from '../../src/core/protocol/workers';
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

  it("a one-statement write joins the batch without a savepoint; when it fails it changed nothing, and the batch's other writes stay", async () => {
    const s = await testServer();
    const m = s.manager;
    const [a, b] = [0, 1].map((i) => m.batch.run(() => m.jobs.submit(customJob([{ name: `t${i}` }])).id));
    // Fails on the last row, after it changed the first one: the statement is undone whole.
    const failing = s.db.prepare('UPDATE jobs SET priority = 1, name = CASE WHEN seq = (SELECT max(seq) FROM jobs) THEN NULL ELSE name END');
    expect(() => m.batch.runOne(() => failing.run())).toThrow(/NOT NULL/);
    m.batch.runOne(() => s.db.prepare('UPDATE jobs SET priority = 7 WHERE id = ?').run(a));
    await m.batch.committed();
    const other = openDatabase(s.dataDir);
    try {
      const priority = other.prepare('SELECT priority FROM jobs WHERE id = ?').pluck();
      expect([priority.get(a), priority.get(b)]).toEqual([7, 50]);
    } finally {
      other.close();
    }
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
  it('an idle /task poll writes nothing: no transaction, no commit; a claim is committed before its answer', async () => {
    const s = await testServer();
    const m = s.manager;
    const w = await registerWorker(s.url);
    // The first poll wakes the worker (starting → awake): that is a write.
    expect((await w.call('POST', '/task')).status).toBe(204);
    await m.batch.committed();
    const before = m.batch.commits;
    for (let i = 0; i < 5; i++) {
      const r = await w.call('POST', '/task');
      expect(r.status).toBe(204);
    }
    expect(m.batch.commits).toBe(before);
    // last_seen is written again once it is SEEN_WRITE_INTERVAL_MS old: then the poll commits.
    s.clock.advance(SEEN_WRITE_INTERVAL_MS);
    expect((await w.call('POST', '/task')).status).toBe(204);
    expect(m.batch.commits).toBe(before + 1);
    // A claim joins the batch and is on disk when the worker hears of it.
    m.jobs.submit(customJob([{ name: 'only' }]));
    const claimed = await w.call('POST', '/task');
    expect(claimed.status).toBe(200);
    const other = openDatabase(s.dataDir);
    try {
      expect(other.prepare('SELECT status, worker_id FROM tasks').get()).toEqual({ status: 'active', worker_id: w.id });
    } finally {
      other.close();
    }
    expect(m.batch.commits).toBe(before + 2);
    expect(s.db.inTransaction).toBe(false);
  });
});
