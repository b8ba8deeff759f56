// Many workers asking for tasks at the same moment: every task goes to exactly one worker.
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer, type TestWorker } from '../helpers/env';
import { submitJob, taskRec, workerRec } from '../helpers/protocol';

async function workers(url: string, n: number): Promise<TestWorker[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => registerWorker(url, { nickname: `farm-${i}` })));
}

// Registering 20 workers hashes 20 secrets with scrypt; that takes a while on a busy machine.
const SLOW = 60_000;

describe('concurrent POST /task', () => {
  it(
    'hands each of 10 queued tasks to exactly one of 20 workers',
    async () => {
      const s = await testServer();
      const { jobId, ids } = submitJob(
        s,
        Array.from({ length: 10 }, (_, i) => ({ name: `t${i}` })),
      );
      const ws = await workers(s.url, 20);

      const results = await Promise.all(ws.map((w) => w.call('POST', '/task')));
      const got = results.filter((r) => r.status === 200);
      expect(results.filter((r) => r.status === 204)).toHaveLength(10);
      expect(got).toHaveLength(10);
      expect(results.every((r) => r.status === 200 || r.status === 204)).toBe(true);

      const handed = got.map((r) => r.json._id as string);
      expect(new Set(handed).size).toBe(10);
      expect([...handed].sort()).toEqual(Object.values(ids).sort());

      // The database agrees with the answers: each task active on the worker that received it.
      results.forEach((r, i) => {
        const w = ws[i]!;
        if (r.status === 200) {
          expect(taskRec(s, r.json._id)).toMatchObject({ status: 'active', worker_id: w.id });
          expect(workerRec(s, w.id).current_task).toBe(r.json._id);
          expect(r.json.worker).toBe(`farm-${i}`);
        } else {
          expect(workerRec(s, w.id).current_task).toBeNull();
        }
      });
      expect(s.manager.repos.tasks.listForJob(jobId).every((t) => t.status === 'active')).toBe(true);
    },
    SLOW,
  );

  it(
    'stays exact over repeated rounds with mixed GET and POST',
    async () => {
      const s = await testServer();
      const { jobId } = submitJob(
        s,
        Array.from({ length: 30 }, (_, i) => ({ name: `t${i}` })),
      );
      const ws = await workers(s.url, 20);
      /** Task id → the workers it was handed to. */
      const handedTo = new Map<string, Set<string>>();
      let answers = 0;
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(ws.map((w, i) => w.call(i % 2 === 0 ? 'POST' : 'GET', '/task')));
        expect(results.map((r) => r.status).filter((st) => st !== 200 && st !== 204)).toEqual([]);
        for (const [i, r] of results.entries()) {
          if (r.status !== 200) continue;
          answers++;
          handedTo.set(r.json._id, new Set([...(handedTo.get(r.json._id) ?? []), ws[i]!.id]));
        }
        // Half of the holders finish their task before the next round.
        await Promise.all(results.map((r, i) => (r.status === 200 && i % 2 === 0 ? ws[i]!.call('POST', `/tasks/${r.json._id}/update`, { task_status: 'completed' }) : undefined)));
      }
      // Every task went out exactly once: a worker that still holds a task gets nothing (204) until
      // it reports the task's end, and no other worker gets it.
      expect(handedTo.size).toBe(30);
      expect(answers).toBe(30);
      expect([...handedTo].filter(([, holders]) => holders.size > 1)).toEqual([]);
      const tasks = s.manager.repos.tasks.listForJob(jobId);
      const active = tasks.filter((t) => t.status === 'active');
      // No worker holds two tasks at once.
      expect(new Set(active.map((t) => t.worker_id)).size).toBe(active.length);
      for (const t of active) expect([...handedTo.get(t.id)!]).toEqual([t.worker_id]);
    },
    SLOW,
  );
});
