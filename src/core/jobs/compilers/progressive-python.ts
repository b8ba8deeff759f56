// The Python that blender-render-progressive runs inside Blender, through the `python_expr` of
// Flamenco Worker's `blender_render` command (given to Blender as `--python-expr` after the .blend
// and before `-f`, so it runs on the loaded scene before the frames render).
//
// Why not the worker's own progressive commands: Blender 3.0 removed Cycles' resumable-render
// options (`--cycles-resumable-*` are ignored, so every chunk rendered every sample, all chunks
// the same image), and `merge_progressive_render_sequence` sets `render.tile_x`, gone in 3.0 too
// (exit 47). Instead each chunk renders its share of the samples with a seed of its own, and a
// merge averages two sequences weighted by their samples, pixel by pixel, with bpy alone: Debian's
// Blender has no numpy, so the sum runs over Python floats (about 2 s per 1920×1080 frame).
//
// The expressions hold no braces: the manager replaces `{name}` in command settings at hand-out,
// which is what puts a worker's own paths into them, and nothing else may look like one.
import { ValidationError } from '../../support/errors';

/**
 * A path as a Python raw string literal, so Windows separators stay as they are. A quote, a line
 * break or a final backslash cannot be written in one and is refused.
 */
export function pyPath(path: string, field: string): string {
  if (/['\r\n]/.test(path) || path.endsWith('\\')) {
    throw new ValidationError(`${field}: "${path}" may not hold a quote or a line break for a progressive render`);
  }
  return `r'${path}'`;
}

/** Any error ends Blender with status 47, so the worker reports the task failed. */
function guarded(body: string[]): string {
  return [
    'import bpy, os, sys, traceback',
    'try:',
    ...body.map((l) => `    ${l}`),
    'except BaseException:',
    '    traceback.print_exc()',
    '    sys.stdout.flush()',
    '    sys.stderr.flush()',
    '    os._exit(47)',
  ].join('\n');
}

/** Renders `samples` samples with `seed`: a chunk of samples independent of the other chunks. */
export function chunkExpr(samples: number, seed: number): string {
  return guarded([
    'scene = bpy.context.scene',
    "if scene.render.engine != 'CYCLES':",
    "    raise RuntimeError('a progressive render needs Cycles, the scene renders with ' + scene.render.engine)",
    `scene.cycles.samples = ${samples}`,
    `scene.cycles.seed = ${seed}`,
  ]);
}

export interface MergeSpec {
  /** Paths up to the frame number; the files are `<prefix><6-digit frame>.exr`. */
  input1: string;
  input2: string;
  output: string;
  weight1: number;
  weight2: number;
  frameStart: number;
  frameEnd: number;
}

/**
 * Writes, per frame, (input1 × weight1 + input2 × weight2) / (weight1 + weight2). The first
 * input's image is reused for the result so that it is saved as that EXR was (depth, codec,
 * colour space): a new image would be saved through a colour conversion.
 */
export function mergeExpr(m: MergeSpec, field: string): string {
  const total = m.weight1 + m.weight2;
  return guarded([
    'from array import array',
    'def load(path):',
    '    image = bpy.data.images.load(path, check_existing=False)',
    "    pixels = array('f', bytes(4 * len(image.pixels)))",
    '    image.pixels.foreach_get(pixels)',
    '    return image, pixels',
    `for frame in range(${m.frameStart}, ${m.frameEnd + 1}):`,
    `    a, pa = load(${pyPath(m.input1, field)} + '%06d.exr' % frame)`,
    `    b, pb = load(${pyPath(m.input2, field)} + '%06d.exr' % frame)`,
    '    if tuple(a.size) != tuple(b.size) or len(pa) != len(pb):',
    "        raise RuntimeError('frame %d: the two images differ in size' % frame)",
    `    a.pixels.foreach_set(array('f', [(x * ${m.weight1} + y * ${m.weight2}) / ${total} for x, y in zip(pa, pb)]))`,
    `    a.filepath_raw = ${pyPath(m.output, field)} + '%06d.exr' % frame`,
    '    a.save()',
    // The line Flamenco Worker recognises as a produced image (and the manager counts as progress).
    `    print("Saved: '" + a.filepath_raw + "'", flush=True)`,
    '    bpy.data.images.remove(a)',
    '    bpy.data.images.remove(b)',
  ]);
}
