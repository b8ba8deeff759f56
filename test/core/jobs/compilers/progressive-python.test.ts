// The Python of blender-render-progressive, run by python3 against a stand-in for the few parts of
// bpy it uses (test/fixtures/fake-bpy): CI has no Blender. It was run in Blender 3.4.1 by hand.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkExpr, mergeExpr } from '../../../../src/core/jobs/compilers/progressive-python';
import { tempDir } from '../../../helpers/env';

const FAKE_BPY = path.join(import.meta.dirname, '..', '..', '..', 'fixtures', 'fake-bpy');
const PYTHON = spawnSync('python3', ['--version']).status === 0;
/** Under CI a missing python3 fails these tests; elsewhere they are skipped. */
const run = PYTHON || process.env.CI !== undefined;

function python(expr: string, env: Record<string, string> = {}) {
  return spawnSync('python3', ['-c', expr], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: FAKE_BPY, ...env } });
}

const image = (file: string, pixels: number[], size = [1, 1]) => writeFileSync(file, JSON.stringify({ size, pixels }));
const pixelsOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { pixels: number[] }).pixels;

describe.runIf(run)("blender-render-progressive's Python", () => {
  it("sets the chunk's samples and seed on a Cycles scene", () => {
    const scene = path.join(tempDir(), 'scene.json');
    writeFileSync(scene, JSON.stringify({ engine: 'CYCLES' }));
    const r = python(chunkExpr(34, 19), { FAKE_BPY_SCENE: scene });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(scene, 'utf8'))).toEqual({ engine: 'CYCLES', samples: 34, seed: 19 });
  });

  it('ends Blender with status 47 and says why for a scene that does not render with Cycles', () => {
    const scene = path.join(tempDir(), 'scene.json');
    writeFileSync(scene, JSON.stringify({ engine: 'BLENDER_EEVEE' }));
    const r = python(chunkExpr(34, 19), { FAKE_BPY_SCENE: scene });
    expect(r.status).toBe(47);
    expect(r.stderr).toContain('a progressive render needs Cycles, the scene renders with BLENDER_EEVEE');
  });

  it('writes each frame as the samples-weighted average of its two inputs and says it saved it', () => {
    const dir = tempDir();
    for (const f of [3, 4]) {
      image(path.join(dir, `a-00000${f}.exr`), [f, 1, 0, 1]);
      image(path.join(dir, `b-00000${f}.exr`), [0, 5, 8, 1]);
    }
    const r = python(mergeExpr({ input1: `${dir}/a-`, input2: `${dir}/b-`, output: `${dir}/m-`, weight1: 2, weight2: 6, frameStart: 3, frameEnd: 4 }, 'x'));
    expect(r.status, r.stderr).toBe(0);
    expect(pixelsOf(path.join(dir, 'm-000003.exr'))).toEqual([0.75, 4, 6, 1]);
    expect(pixelsOf(path.join(dir, 'm-000004.exr'))).toEqual([1, 4, 6, 1]);
    expect(r.stdout).toBe(`Saved: '${dir}/m-000003.exr'\nSaved: '${dir}/m-000004.exr'\n`);
  });

  it('fails with status 47 when a frame is missing or the images differ in size', () => {
    const dir = tempDir();
    image(path.join(dir, 'a-000001.exr'), [1, 1, 1, 1]);
    image(path.join(dir, 'b-000001.exr'), [1, 1, 1, 1, 1, 1, 1, 1], [2, 1]);
    const spec = { input1: `${dir}/a-`, input2: `${dir}/b-`, output: `${dir}/m-`, weight1: 1, weight2: 1, frameStart: 1, frameEnd: 1 };
    const differ = python(mergeExpr(spec, 'x'));
    expect(differ.status).toBe(47);
    expect(differ.stderr).toContain('frame 1: the two images differ in size');
    const missing = python(mergeExpr({ ...spec, frameEnd: 2 }, 'x'));
    expect(missing.status).toBe(47);
  });
});
