import { describe, expect, it } from 'vitest';
import { defaultConfig, type VariableDef } from '../../../../src/core/support/config';
import { taskDocument } from '../../../../src/core/protocol/documents';
import { Variables } from '../../../../src/core/jobs/variables';
import { testManager } from '../../../helpers/env';

const render: VariableDef = {
  direction: 'two-way',
  values: [
    { platform: 'windows', value: 'S:/render', audience: 'all' },
    { platform: 'linux', value: '/mnt/render', audience: 'all' },
    { platform: 'darwin', value: '/Volumes/render/', audience: 'all' },
  ],
};

function variables(extra: Record<string, VariableDef> = {}) {
  return { ...defaultConfig().variables, render, ...extra };
}

describe('Variables.toPlaceholders', () => {
  const v = new Variables(
    variables({
      shots: { direction: 'two-way', values: [{ platform: 'windows', value: 'S:\\render\\shots', audience: 'users' }] },
      proj: { direction: 'one-way', values: [{ platform: 'linux', value: '/proj', audience: 'all' }] },
      everything: { direction: 'two-way', values: [{ platform: 'linux', value: '/', audience: 'all' }] },
    }),
  );

  it('turns a Windows path with either separator and any case into the placeholder form', () => {
    expect(v.toPlaceholders('S:/render/shot12')).toBe('{render}/shot12');
    expect(v.toPlaceholders('S:\\render\\shot12\\frames\\######')).toBe('{render}/shot12/frames/######');
    expect(v.toPlaceholders('s:/render/shot12')).toBe('{render}/shot12');
    expect(v.toPlaceholders('S:/Render/shot12')).toBe('{render}/shot12');
    expect(v.toPlaceholders('S:/render')).toBe('{render}');
  });

  it('matches the values of every platform, Linux and macOS case-sensitively', () => {
    expect(v.toPlaceholders('/mnt/render/shot12')).toBe('{render}/shot12');
    expect(v.toPlaceholders('/Volumes/render/shot12')).toBe('{render}/shot12');
    expect(v.toPlaceholders('/mnt/Render/shot12')).toBe('/mnt/Render/shot12');
  });

  it('only matches at a path boundary and at the start', () => {
    expect(v.toPlaceholders('S:/renders/shot12')).toBe('S:/renders/shot12');
    expect(v.toPlaceholders('/mnt/render2')).toBe('/mnt/render2');
    expect(v.toPlaceholders('blender S:/render/x.blend')).toBe('blender S:/render/x.blend');
  });

  it('prefers the longest value, ignores one-way variables and root values', () => {
    expect(v.toPlaceholders('S:/render/shots/sh010')).toBe('{shots}/sh010');
    expect(v.toPlaceholders('/proj/x.blend')).toBe('/proj/x.blend');
    expect(v.toPlaceholders('/srv/other')).toBe('/srv/other');
  });

  it('converts only top-level strings of settings', () => {
    expect(v.settingsToPlaceholders({ a: 'S:/render/x', n: 3, nested: { p: 'S:/render/y' } })).toEqual({ a: '{render}/x', n: 3, nested: { p: 'S:/render/y' } });
  });
});

async function addWorker(manager: ReturnType<typeof testManager>['manager'], platform = 'linux', types = ['blender-render', 'debug']) {
  return manager.workers.register(
    { secret: 'secret-0123456789abcdef', platform, supported_task_types: types, nickname: `${platform}-1` },
    { address: '127.0.0.1', software: 'Flamenco-Worker/2.5' },
  );
}

describe('two-way variables at submission and hand-out', () => {
  it('a blender-render job from Windows reaches a Linux worker with Linux paths', async () => {
    const { manager } = testManager({ config: { variables: variables() } });
    const { id } = manager.jobs.submit({
      name: 'from windows',
      job_type: 'blender-render',
      settings: { filepath: 'S:\\render\\shot12\\shot12.blend', frames: '1-2', chunk_size: 2, render_output: 'S:/render/shot12/frames/######' },
    });
    // Stored in the platform-neutral form.
    expect(manager.repos.jobs.get(id)!.settings).toMatchObject({ filepath: '{render}/shot12/shot12.blend', render_output: '{render}/shot12/frames/######' });
    const [stored] = manager.repos.tasks.listForJob(id).filter((t) => t.task_type === 'blender-render');
    expect(stored!.commands[0]!.settings.render_output).toBe('{render}/shot12/frames__intermediate-2026-11-27_120000/######');

    const worker = await addWorker(manager);
    const claimed = manager.scheduler.claim(worker);
    expect(claimed.kind).toBe('task');
    if (claimed.kind !== 'task') return;
    const doc = taskDocument(manager.repos, claimed.task, worker, manager.variables);
    expect(doc.commands).toEqual([
      {
        name: 'blender_render',
        settings: {
          blender_cmd: 'blender',
          filepath: '/mnt/render/shot12/shot12.blend',
          render_output: '/mnt/render/shot12/frames__intermediate-2026-11-27_120000/######',
          frames: '1,2',
        },
      },
    ]);
    // The same stored task, handed to a Windows worker, gets the Windows value back.
    expect(manager.variables.expandCommands(claimed.task.commands, 'windows')[0]!.settings.filepath).toBe('S:/render/shot12/shot12.blend');
  });

  it('move-to-final carries the placeholder in both paths', () => {
    const { manager } = testManager({ config: { variables: variables() } });
    const { id } = manager.jobs.submit({
      name: 'from mac',
      job_type: 'blender-render',
      settings: { filepath: '/Volumes/render/a.blend', frames: '1', render_output: '/Volumes/render/a/######' },
    });
    const final = manager.repos.tasks.listForJob(id).find((t) => t.name === 'move-to-final')!;
    expect(final.commands[0]!.settings).toEqual({ src: '{render}/a__intermediate-2026-11-27_120000', dest: '{render}/a' });
  });

  it('custom jobs: top-level string settings of every command', async () => {
    const { manager } = testManager({ config: { variables: variables() } });
    const { id } = manager.jobs.submit({
      name: 'custom from windows',
      job_type: 'custom',
      tasks: [
        {
          name: 'copy',
          task_type: 'debug',
          commands: [{ name: 'copy_file', settings: { src: 'S:\\render\\a.png', dest: 'S:/render/b.png', keep: true, extra: { p: 'S:/render/c' } } }],
        },
      ],
    });
    const [task] = manager.repos.tasks.listForJob(id);
    expect(task!.commands[0]!.settings).toEqual({ src: '{render}/a.png', dest: '{render}/b.png', keep: true, extra: { p: 'S:/render/c' } });
    const worker = await addWorker(manager);
    const claimed = manager.scheduler.claim(worker);
    if (claimed.kind !== 'task') throw new Error(`expected a task, got ${claimed.kind}`);
    const doc = taskDocument(manager.repos, claimed.task, { platform: 'linux', nickname: 'w' }, manager.variables);
    expect((doc.commands as { settings: Record<string, unknown> }[])[0]!.settings).toMatchObject({ src: '/mnt/render/a.png', dest: '/mnt/render/b.png' });
  });

  it('without two-way variables nothing is rewritten', () => {
    const { manager } = testManager();
    const { id } = manager.jobs.submit({
      name: 'plain',
      job_type: 'blender-render',
      settings: { filepath: 'S:/render/a.blend', frames: '1', render_output: 'S:/render/a/######' },
    });
    expect(manager.repos.jobs.get(id)!.settings).toMatchObject({ filepath: 'S:/render/a.blend' });
  });
});
