// {variable} placeholders in command settings, replaced per worker platform when a task is handed out.
import { describe, expect, it } from 'vitest';
import { defaultConfig, type VariableDef } from '../../../src/core/support/config';
import { taskDocument } from '../../../src/core/protocol/documents';
import { Variables } from '../../../src/core/jobs/variables';
import { testManager } from '../../helpers/env';
import { addWorker, mustClaim } from '../../helpers/domain';

const DEFS: Record<string, VariableDef> = {
  ...defaultConfig().variables,
  blender: {
    direction: 'one-way',
    values: [
      { platform: 'linux', value: '/opt/blender/blender', audience: 'all' },
      { platform: 'windows', value: 'C:/Blender/blender.exe', audience: 'all' },
    ],
  },
  render: {
    direction: 'two-way',
    values: [
      { platform: 'linux', value: '/mnt/render', audience: 'all' },
      { platform: 'windows', value: 'S:/render', audience: 'all' },
      // A value for users only is never sent to workers; one for workers wins over one for all.
      { platform: 'darwin', value: '/Volumes/render-users', audience: 'users' },
      { platform: 'darwin', value: '/Volumes/render-all', audience: 'all' },
      { platform: 'darwin', value: '/Volumes/render', audience: 'workers' },
    ],
  },
};

const cmd = (settings: Record<string, unknown>) => [{ name: 'blender_render', settings }];

describe('Variables.expandCommands', () => {
  const vars = new Variables(DEFS);

  it('replaces placeholders with the value for the worker platform', () => {
    const commands = cmd({ blender_cmd: '{blender}', render_output: '{render}/shot12/######' });
    expect(vars.expandCommands(commands, 'linux')).toEqual(cmd({ blender_cmd: '/opt/blender/blender', render_output: '/mnt/render/shot12/######' }));
    expect(vars.expandCommands(commands, 'windows')).toEqual(cmd({ blender_cmd: 'C:/Blender/blender.exe', render_output: 'S:/render/shot12/######' }));
  });

  it('uses the value for audience workers over one for all, and never one for users', () => {
    expect(vars.expandCommands(cmd({ p: '{render}' }), 'darwin')).toEqual(cmd({ p: '/Volumes/render' }));
  });

  it('keeps unknown placeholders and placeholders without a value for the platform', () => {
    expect(vars.expandCommands(cmd({ a: '{nope} and {blender}', b: '{render}' }), 'linux')).toEqual(cmd({ a: '{nope} and /opt/blender/blender', b: '/mnt/render' }));
    // darwin has no blender value in DEFS (the default was replaced), so it stays.
    expect(vars.expandCommands(cmd({ a: '{blender}' }), 'darwin')).toEqual(cmd({ a: '{blender}' }));
    // An unknown platform changes nothing.
    expect(vars.expandCommands(cmd({ a: '{blender}' }), 'plan9')).toEqual(cmd({ a: '{blender}' }));
  });

  it('touches only top-level string values', () => {
    const settings = {
      s: '{blender}',
      n: 3,
      b: true,
      nil: null,
      list: ['{blender}'],
      nested: { cmd: '{blender}' },
    };
    expect(vars.expandCommands(cmd(settings), 'linux')).toEqual(cmd({ ...settings, s: '/opt/blender/blender' }));
  });

  it('replaces every occurrence and does not modify its input', () => {
    const commands = cmd({ a: '{render}/{render}' });
    const copy = structuredClone(commands);
    expect(vars.expandCommands(commands, 'linux')).toEqual(cmd({ a: '/mnt/render//mnt/render' }));
    expect(commands).toEqual(copy);
  });

  it('uses the built-in defaults blender and ffmpeg', () => {
    const builtin = new Variables(defaultConfig().variables);
    expect(builtin.expandCommands([{ name: 'x', settings: { b: '{blender}', f: '{ffmpeg}' } }], 'windows')).toEqual([{ name: 'x', settings: { b: 'blender', f: 'ffmpeg' } }]);
  });
});

describe('the Task document', () => {
  it('carries expanded commands while the stored task keeps its placeholders', async () => {
    const tm = testManager({ config: { variables: DEFS } });
    const m = tm.manager;
    m.jobs.submit({
      name: 'j',
      job_type: 'custom',
      tasks: [{ name: 'r', task_type: 'sleep', commands: [{ name: 'exec', settings: { cmd: '{blender} -b {render}/a.blend' } }] }],
    });
    const w = await addWorker(tm, { platform: 'windows' });
    const t = mustClaim(tm, w);
    const doc = taskDocument(m.repos, t, { platform: 'windows', nickname: 'w' }, m.variables);
    expect(doc.commands).toEqual([{ name: 'exec', settings: { cmd: 'C:/Blender/blender.exe -b S:/render/a.blend' } }]);
    expect(m.repos.tasks.get(t.id)!.commands).toEqual([{ name: 'exec', settings: { cmd: '{blender} -b {render}/a.blend' } }]);
  });
});
