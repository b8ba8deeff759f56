// The scheduling rules of dispatch-rules.ts and statuses.ts are the ones the database applies: the tasks_dispatch
// index and the `ready` column (frozen in a migration) are checked against them, and the dispatch
// query's order agrees with dispatchesBefore.
import { describe, expect, it } from 'vitest';
import { DISPATCH_ORDER, dispatchesBefore } from '../../../src/core/support/dispatch-rules';
import { READY_TASK_STATUSES, TASK_STATUSES } from '../../../src/core/support/statuses';
import { JOB_HAS_READY_SQL } from '../../../src/db/tasks-repo';
import { testManager } from '../../helpers/env';

describe('dispatch rules', () => {
  it('the tasks_dispatch index is (task_type, then DISPATCH_ORDER), for ready tasks only', () => {
    const { db } = testManager();
    const cols = db.prepare("SELECT name, desc FROM pragma_index_xinfo('tasks_dispatch') WHERE key = 1 ORDER BY seqno").all() as { name: string; desc: number }[];
    expect(cols).toEqual([{ name: 'task_type', desc: 0 }, ...DISPATCH_ORDER.map((k) => ({ name: k.column, desc: k.descending ? 1 : 0 }))]);
    const sql = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'tasks_dispatch'").pluck().get() as string;
    expect(sql).toMatch(/WHERE ready = 1$/);
  });

  it('the ready column is READY_TASK_STATUSES with all parents completed', () => {
    const { db } = testManager();
    db.pragma('foreign_keys = OFF');
    for (const status of TASK_STATUSES) {
      for (const pending of [0, 1]) {
        db.prepare(
          `INSERT INTO tasks (id, job_id, job_seq, job_priority, name, task_type, priority, status, commands, pending_parents, created, updated)
           VALUES (?, 'j', 1, 50, 'n', 't', 50, ?, '[]', ?, 0, 0)`,
        ).run(`${status}-${pending}`, status, pending);
        const ready = db.prepare('SELECT ready FROM tasks WHERE id = ?').pluck().get(`${status}-${pending}`);
        expect(ready, `${status}, ${pending} pending`).toBe(READY_TASK_STATUSES.includes(status) && pending === 0 ? 1 : 0);
      }
    }
  });

  it('whether a job has a ready task is looked up among its tasks of READY_TASK_STATUSES only', () => {
    const { db, manager } = testManager();
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${JOB_HAS_READY_SQL}`).all('j') as { detail: string }[]).map((p) => p.detail);
    expect(plan).toEqual([expect.stringMatching(/^SEARCH tasks USING INDEX tasks_job_status \(job_id=\? AND status=\?\)/)]);
    db.pragma('foreign_keys = OFF');
    const insert = db.prepare(
      `INSERT INTO tasks (id, job_id, job_seq, job_priority, name, task_type, priority, status, commands, pending_parents, created, updated)
       VALUES (?, 'j', 1, 50, 'n', 't', 50, ?, '[]', ?, 0, 0)`,
    );
    insert.run('done', 'completed', 0);
    insert.run('waiting', 'queued', 1);
    expect(manager.repos.tasks.jobHasReadyTask('j')).toBe(false);
    insert.run('retry', 'soft-failed', 0);
    expect(manager.repos.tasks.jobHasReadyTask('j')).toBe(true);
  });

  it('the dispatch query hands tasks out in dispatchesBefore order', () => {
    const tm = testManager();
    const { db, manager } = tm;
    db.pragma('foreign_keys = OFF');
    // A seeded mix of job priorities, task priorities, jobs and creation order.
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const insert = db.prepare(
      `INSERT INTO tasks (id, job_id, job_seq, job_priority, name, task_type, priority, status, commands, created, updated)
       VALUES (?, ?, ?, ?, 'n', 'render', ?, 'queued', '[]', 0, 0)`,
    );
    for (let i = 0; i < 200; i++) insert.run(`t${i}`, `j${rand(5)}`, rand(5), rand(3) * 10, rand(3) * 10);
    const all = db.prepare('SELECT * FROM tasks').all() as Parameters<typeof dispatchesBefore>[0][];
    const expected = [...all].sort((a, b) => (dispatchesBefore(a, b) ? -1 : dispatchesBefore(b, a) ? 1 : 0)).map((t) => (t as unknown as { id: string }).id);
    const handed: string[] = [];
    for (;;) {
      const t = manager.repos.tasks.nextForType('render', 'w', '');
      if (!t) break;
      handed.push(t.id);
      db.prepare("UPDATE tasks SET status = 'completed' WHERE id = ?").run(t.id);
    }
    expect(handed).toEqual(expected);
  });
});
