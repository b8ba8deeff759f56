// The dispatch query writes the task type in as a quoted SQL literal (see tasks-repo.ts): odd task
// types must still match exactly and never change the query.
import { describe, expect, it } from 'vitest';
import { addWorker, claimTask, submitCustom } from '../../helpers/domain';
import { testManager } from '../../helpers/env';

describe('task types with quotes and SQL in them', () => {
  for (const type of ["it's", "x' OR 1=1 --", "'); DROP TABLE tasks; --", 'ünïcode render', '']) {
    it(`dispatches only to workers of type ${JSON.stringify(type)}`, async () => {
      const tm = testManager();
      if (type === '') {
        expect(() => submitCustom(tm, [{ name: 'a', type }])).toThrow(/task_type/);
        return;
      }
      submitCustom(tm, [{ name: 'a', type }]);
      submitCustom(tm, [{ name: 'b', type: 'other' }]);
      const wrong = await addWorker(tm, { types: ['x', 'it', "x'"] });
      expect(claimTask(tm, wrong)).toBeUndefined();
      const right = await addWorker(tm, { types: [type] });
      const t = claimTask(tm, right)!;
      expect(t.name).toBe('a');
      expect(t.task_type).toBe(type);
      expect(tm.db.prepare('SELECT COUNT(*) FROM tasks').pluck().get()).toBe(2);
    });
  }
});
