// Names people type where an id is expected: ids, unique id prefixes, job names, worker nicknames.
import { describe, expect, it } from 'vitest';
import { AmbiguousNameError, NotFoundError } from '../../src/core/support/errors';
import { testManager } from '../helpers/env';
import { addWorker, mustClaim, submitCustom } from '../helpers/domain';

describe('Names', () => {
  it('takes a full id as it is, a unique prefix of 4+ characters, and an exact name', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'render-1-10' }], { name: 'shot 12' });
    const w = await addWorker(tm, { nickname: 'node-7' });
    const task = mustClaim(tm, w);
    const n = tm.manager.names;
    expect(n.job(job)).toBe(job);
    expect(n.job('shot 12')).toBe(job);
    expect(n.job(job.slice(0, 20))).toBe(job);
    expect(n.worker('node-7')).toBe(w);
    expect(n.worker(w.slice(0, 23))).toBe(w);
    expect(n.task(task.id.slice(0, 22))).toBe(task.id);
    expect(n.task('shot 12/render-1-10')).toBe(task.id);
    expect(() => n.task('shot 12/render-99')).toThrow(NotFoundError);
    expect(() => n.task('no job/render-1-10')).toThrow(/^job no job not found$/);
    // A full id that does not exist is left to the operation to refuse.
    expect(n.job('0123456789abcdef01234567')).toBe('0123456789abcdef01234567');
  });

  it('refuses prefixes shorter than 4 characters and unknown names', () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'a' }]);
    expect(() => tm.manager.names.job(job.slice(0, 3))).toThrow(NotFoundError);
    expect(() => tm.manager.names.job('nothing')).toThrow(/^job nothing not found$/);
    expect(() => tm.manager.names.task('some-task-name')).toThrow(NotFoundError);
  });

  it('lists the candidates with ids when a name or prefix fits more than one', () => {
    const tm = testManager();
    const a = submitCustom(tm, [{ name: 'a' }], { name: 'same' });
    const b = submitCustom(tm, [{ name: 'a' }], { name: 'same' });
    let err: unknown;
    try {
      tm.manager.names.job('same');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AmbiguousNameError);
    expect((err as AmbiguousNameError).candidates.map((c) => c.id).sort()).toEqual([a, b].sort());
    expect((err as Error).message).toBe(`"same" matches 2 jobs; give one of their ids:\n  ${a}  same\n  ${b}  same`);
    // Ids made in the same second by one generator share their first 8+ characters.
    expect(() => tm.manager.names.job(a.slice(0, 8))).toThrow(AmbiguousNameError);
  });

  it('prefers an exact name over id prefixes', () => {
    const tm = testManager();
    const a = submitCustom(tm, [{ name: 'a' }], { name: 'x' });
    const named = submitCustom(tm, [{ name: 'a' }], { name: a.slice(0, 6) });
    expect(tm.manager.names.job(a.slice(0, 6))).toBe(named);
  });

  it('shows the current task as job name and task name in the worker view', async () => {
    const tm = testManager();
    const job = submitCustom(tm, [{ name: 'render-1-10' }], { name: 'shot 12' });
    const w = await addWorker(tm);
    mustClaim(tm, w);
    expect(tm.manager.readModels.worker(w)).toMatchObject({ current_job: job, current_job_name: 'shot 12', current_task_name: 'render-1-10' });
  });
});
