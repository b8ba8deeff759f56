// Worker tags: changed atomically by id or nickname, checked, listed when in use, and used by
// the scheduler (a tagged job runs only on a worker with its tag).
import { describe, expect, it } from 'vitest';
import { addWorker, claimTask } from '../../helpers/domain';
import { customJob, testManager } from '../../helpers/env';

describe('worker tags', () => {
  it('are set, added, removed and cleared, by id or nickname, each change atomic', async () => {
    const tm = testManager();
    const id = await addWorker(tm, { nickname: 'render-07' });
    const tags = tm.manager.workerTags;
    expect(tags.get(id)).toEqual({ id, nickname: 'render-07', tags: [] });
    expect(tags.change('render-07', { set: ['gpu', 'linux', 'gpu'] }).tags).toEqual(['gpu', 'linux']);
    expect(tags.change(id, { add: 'eevee' }).tags).toEqual(['gpu', 'linux', 'eevee']);
    expect(tags.change(id, { add: 'gpu' }).tags).toEqual(['gpu', 'linux', 'eevee']);
    expect(tags.change(id, { remove: 'linux' }).tags).toEqual(['gpu', 'eevee']);
    expect(tags.inUse()).toEqual(['eevee', 'gpu']);
    expect(tags.change(id, { clear: true }).tags).toEqual([]);
    expect(tags.inUse()).toEqual([]);
  });

  it('refuses bad tags, too many tags, unknown and ambiguous workers, and changes nothing then', async () => {
    const tm = testManager();
    const id = await addWorker(tm, { nickname: 'twin' });
    await addWorker(tm, { nickname: 'twin' });
    const tags = tm.manager.workerTags;
    tags.change(id, { set: ['gpu'] });
    expect(() => tags.change(id, { add: 'a b' })).toThrow(/^tag: "a b" is not a tag/);
    expect(() => tags.change(id, { set: ['ok', ''] })).toThrow(/^tags\[1\]: "" is not a tag/);
    expect(() => tags.change(id, { set: [7] })).toThrow(/^tags\[0\]: 7 is not a tag/);
    expect(() => tags.change(id, { add: 'x'.repeat(65) })).toThrow(/is not a tag/);
    expect(() => tags.change(id, { set: Array.from({ length: 33 }, (_, i) => `t${i}`) })).toThrow(/at most 32 tags/);
    expect(() => tags.get('twin')).toThrow(/"twin" matches 2 workers; give one of their ids/);
    expect(() => tags.get('nobody')).toThrow(/worker nobody not found/);
    expect(tags.get(id).tags).toEqual(['gpu']);
  });

  it('keep a tagged job for the workers that have its tag', async () => {
    const tm = testManager();
    const plain = await addWorker(tm, { nickname: 'plain' });
    const gpu = await addWorker(tm, { nickname: 'gpu' });
    tm.manager.jobs.submit(customJob([{ name: 'a' }], { tag: 'gpu' }));
    expect(claimTask(tm, plain)).toBeUndefined();
    expect(claimTask(tm, gpu)).toBeUndefined();
    tm.manager.workerTags.change(gpu, { add: 'gpu' });
    expect(claimTask(tm, plain)).toBeUndefined();
    expect(claimTask(tm, gpu)?.name).toBe('a');
  });
});
