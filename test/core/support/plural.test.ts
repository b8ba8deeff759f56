import { describe, expect, it } from 'vitest';
import { agrees, counted } from '../../../src/core/support/plural';
import { testManager } from '../../helpers/env';
import { addWorker, fail, jobRec, mustClaim, submitCustom } from '../../helpers/domain';

describe('counts in messages', () => {
  it('say one thing in the singular and any other number in the plural', () => {
    expect(counted(1, 'failed task')).toBe('1 failed task');
    expect(counted(0, 'failed task')).toBe('0 failed tasks');
    expect(counted(2, 'blocklist entry', 'blocklist entries')).toBe('2 blocklist entries');
    expect(agrees(1, 'blocks', 'block')).toBe('blocks');
    expect(agrees(3, 'blocks', 'block')).toBe('block');
  });

  it('a job failed by its one task says "1 of 1 task failed" and names the worker in the singular', async () => {
    const tm = testManager({ config: { task_fail_after_softfail_count: 1 } });
    const job = submitCustom(tm, [{ name: 'only' }]);
    const w = await addWorker(tm);
    const t = mustClaim(tm, w);
    fail(tm, w, t.id);
    expect(jobRec(tm, job)).toMatchObject({ status: 'failed' });
    expect(jobRec(tm, job).activity).toMatch(/^1 of 1 task failed/);
    expect(tm.manager.repos.tasks.get(t.id)!.activity).toMatch(/\(failed by 1 worker\)$/);
  });
});
