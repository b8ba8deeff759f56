// The add-on evaluates these expressions in Blender's Python; here they run in python3 with the
// names the add-on gives them (C, Path, abspath, jobname), abspath resolving "//" as Blender does.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SCENE_EVAL } from '../../../../src/core/jobs/compilers/scene-evals';

const PYTHON = spawnSync('python3', ['--version']).status === 0;
/** Under CI a missing python3 fails these tests; elsewhere they are skipped. */
const run = PYTHON || process.env.CI !== undefined;

function evaluate(expr: string, sceneOutput: string, jobname: string): string {
  const program = `
import sys, types
from pathlib import Path
blend_dir = '/proj/shot12'
def abspath(p):
    p = str(p)
    return Path(blend_dir + '/' + p[2:] if p.startswith('//') else p)
scene = types.SimpleNamespace(render=types.SimpleNamespace(filepath=sys.argv[1]))
C = types.SimpleNamespace(scene=scene)
jobname = sys.argv[2]
print(eval(sys.argv[3]))
`;
  const r = spawnSync('python3', ['-c', program, sceneOutput, jobname, expr], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe.runIf(run)('render output suggested to the add-on', () => {
  it.each([
    ['//frames/######', '/proj/shot12/frames/shot 12/######'],
    ['//frames/', '/proj/shot12/frames/shot 12/######'],
    ['//render/frame_', '/proj/shot12/render/shot 12/######'],
    ['/render/shot12/', '/render/shot12/shot 12/######'],
    ['/tmp/', '/tmp/shot 12/######'],
  ])('is the folder of the scene output %s with a folder for the job', (sceneOutput, expected) => {
    expect(evaluate(SCENE_EVAL.renderOutput.eval, sceneOutput, 'shot 12')).toBe(expected);
  });
});
