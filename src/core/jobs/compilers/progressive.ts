// The `blender-render-progressive` job type: render with Cycles in growing chunks of samples and
// merge each chunk into the previous result, so a usable (noisy) version of every frame exists
// early and improves as the job runs. JPEG previews and a preview video are refreshed after
// every merge. Only at the end is the output directory replaced, so an earlier full-quality
// render is only ever replaced by another full-quality one.
//
// Each sample chunk renders its own share of the samples with its own seed, and each merge is a
// weighted average (see progressive-python.ts): what works on Blender 3.x and 4.x, whose Cycles
// no longer resumes a render from a given sample.
import { ValidationError } from '../../support/errors';
import { blenderFrames, chunk, chunkName, parseFrames } from '../frames';
import { BLENDER_SETTINGS } from './blender-render';
import { SCENE_EVAL } from './scene-evals';
import { chunkExpr, mergeExpr } from './progressive-python';
import { intermediateDir, join, splitOutputPath } from './paths';
import type { Command } from '../../../db/tasks-repo';
import type { CompiledTask, JobCompiler } from './types';

/** Python's round(): halves go to the even neighbour. Keeps chunk boundaries as Flamenco had them. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Splits `count` samples into [first, last] chunks (1-based, inclusive). The first chunks follow a
 * sub-quadratic curve (small first chunk for a quick preview, then larger ones); once a chunk
 * would exceed `cap` samples, the rest is split evenly into chunks of at most `cap`.
 */
export function sampleChunks(count: number, cap: number, uncappedChunks = 4): [number, number][] {
  const out: [number, number][] = [];
  const start = count / 40;
  const e = 5 / 3;
  const curve = (i: number) => (((count - start) ** (1 / e) / (uncappedChunks - 1)) * i) ** e + start;
  let last = 0;
  for (let i = 0; last < count; i++) {
    const s = Math.min(roundHalfEven(curve(i)), count);
    if (s - last > cap) break;
    // Tiny sample counts round the first points to 0: skip such empty chunks.
    if (s > last) out.push([last + 1, s]);
    last = Math.max(last, s);
  }
  if (last < count) {
    // Integer boundaries instead of adding a float step, so no sliver chunk appears at the end.
    const left = count - last;
    const n = Math.ceil(left / cap);
    let prev = last;
    for (let k = 1; k <= n; k++) {
      const end = last + Math.floor((k * left) / n);
      out.push([prev + 1, end]);
      prev = end;
    }
  }
  return out;
}

/**
 * Frames per render task for chunks of `samples` samples: about as much work per task as
 * `chunk_size` frames at the cap. The size may shrink by one when that fills the last task better.
 */
export function frameChunkSize(maxSamplesPerTask: number, totalFrames: number, samples: number): number {
  let size = Math.floor(maxSamplesPerTask / samples);
  if (size > 2) {
    const inLast = totalFrames % size;
    if (inLast > 0 && inLast < totalFrames % (size - 1)) size -= 1;
  }
  return size;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export const progressiveCompiler: JobCompiler = {
  job_type: 'blender-render-progressive',
  addon_label: 'Blender Render Progressive (Cycles)',
  description:
    'Renders with Cycles in growing sample chunks, each with its own seed, averaging them into ever better EXR frames with JPEG and video previews (Blender 3.0 or newer).',
  settings: [
    BLENDER_SETTINGS.filepath,
    { ...BLENDER_SETTINGS.frames, description: 'frame range, one contiguous range such as "1-250"' },
    { ...BLENDER_SETTINGS.chunk_size, description: 'frames per render task for chunks of cycles_sample_cap samples; smaller chunks get more frames' },
    { ...BLENDER_SETTINGS.render_output, description: 'output path ending in exactly six #, e.g. "/render/shot12/frames/######"' },
    { name: 'format', type: 'string', required: false, default: 'OPEN_EXR', identifier: true, description: 'must be OPEN_EXR: merging needs EXR files', addon: { visible: 'web' } },
    { name: 'cycles_sample_count', type: 'integer', required: true, description: 'total number of Cycles samples per frame', addon: SCENE_EVAL.cyclesSamples },
    { name: 'cycles_sample_cap', type: 'integer', required: false, default: 100, description: 'most samples in one render task' },
    { name: 'fps', type: 'number', required: true, description: 'frame rate of the preview video', addon: SCENE_EVAL.fps },
    BLENDER_SETTINGS.blender_cmd,
  ],
  compile(s, ctx) {
    const frames = parseFrames(s.frames, 'settings.frames');
    const first = frames[0]!;
    const lastFrame = frames[frames.length - 1]!;
    // The merge command processes every frame from start to end; a gap would make it fail.
    if (lastFrame - first + 1 !== frames.length) {
      throw new ValidationError(`settings.frames: "${s.frames as string}" must be one contiguous range for a progressive render`);
    }
    const format = String(s.format).toUpperCase();
    if (format !== 'OPEN_EXR' && format !== 'EXR') throw new ValidationError(`settings.format: must be "OPEN_EXR" for a progressive render, not "${s.format as string}"`);
    const renderOutput = s.render_output as string;
    // The merged files' names are predicted from the pattern, which needs a fixed width.
    if (!/(^|[^#])######$/.test(renderOutput)) throw new ValidationError('settings.render_output: must end in exactly six "#", e.g. "/render/shot12/frames/######"');
    if ((s.fps as number) <= 0) throw new ValidationError('settings.fps: must be more than 0');
    const out = splitOutputPath(renderOutput, 'settings.render_output');
    const count = s.cycles_sample_count as number;
    const cap = s.cycles_sample_cap as number;
    const chunks = sampleChunks(count, cap);
    if (chunks.length < 2) {
      throw new ValidationError(`settings.cycles_sample_count: ${count} samples with a cap of ${cap} is one chunk, nothing to merge; use a blender-render job`);
    }

    const sep = out.sep;
    const inter = intermediateDir(out.dir, ctx.now);
    const renderPattern = (from: number, to: number) => join(inter, sep, `render-smpl-${pad(from, 4)}-${pad(to, 4)}-######`);
    const mergePattern = (to: number) => join(inter, sep, `merge-smpl-${pad(to, 4)}-######`);
    const frameFile = (pattern: string, frame: number, ext: string) => pattern.slice(0, -6) + pad(frame, 6) + ext;
    const { blender_cmd, filepath } = s;
    const tasks: CompiledTask[] = [];
    const add = (name: string, task_type: string, priority: number, parents: string[], commands: Command[]) => {
      tasks.push({ name, task_type, priority, parents, commands });
      return name;
    };

    const destroy = add('destroy-preexisting-intermediate', 'file-management', 0, [], [{ name: 'remove_tree', settings: { path: inter } }]);

    let images: string | undefined;
    let video: string | undefined;
    const previews = (sources: string[], exrPattern: string, samplesTo: number, priority: number) => {
      images = add(
        `create-preview-images-s_${samplesTo}`,
        'blender-render',
        priority,
        [...(images ? [images] : []), ...sources],
        [
          {
            name: 'exr_sequence_to_jpeg',
            settings: { blender_cmd, filepath, exr_glob: exrPattern.slice(0, -6) + '*.exr', output_pattern: 'preview-######' },
          },
        ],
      );
      video = add(
        `create-preview-video-s_${samplesTo}`,
        'video-encoding',
        priority,
        [...(video ? [video] : []), images],
        [
          {
            name: 'create_video',
            settings: { ffmpeg_cmd: '{ffmpeg}', input_files: join(inter, sep, 'preview-*.jpg'), output_file: join(inter, sep, 'preview.mkv'), fps: s.fps },
          },
        ],
      );
    };

    // Later sample chunks get lower priorities (also relative to other jobs), merges and
    // previews a higher one, so results improve step by step instead of all at the end.
    let mergeDeps: string[] = [];
    let prevTo = 0;
    chunks.forEach(([from, to], idx) => {
      const renderPriority = idx * -10 || 0; // "|| 0": no -0 in stored JSON
      const size = frameChunkSize((s.chunk_size as number) * cap, frames.length, to - from + 1);
      const renders = chunk(frames, size).map((c) =>
        add(
          `render-s_${from}-${to}-f_${chunkName(c)}`,
          'blender-render',
          renderPriority,
          [destroy],
          [
            {
              name: 'blender_render',
              settings: {
                blender_cmd,
                filepath,
                format,
                render_output: renderPattern(from, to),
                frames: blenderFrames(c),
                // The first sample's number is the seed: chunks must not repeat each other's noise.
                python_expr: chunkExpr(to - from + 1, from),
              },
            },
          ],
        ),
      );
      if (idx === 0) {
        previews(renders, renderPattern(from, to), to, renderPriority + 1);
        mergeDeps = renders;
      } else {
        // The first merge combines the first two renders; later ones add to the last merge.
        const input1 = idx === 1 ? renderPattern(...chunks[0]!) : mergePattern(prevTo);
        const merge = add(
          `merge-to-s_${to}-f_${first}-${lastFrame}`,
          'exr-merge',
          1,
          [...mergeDeps, ...renders],
          [
            {
              // A blender_render without frames: Blender loads the .blend, runs the merge and quits.
              name: 'blender_render',
              settings: {
                blender_cmd,
                filepath,
                python_expr: mergeExpr(
                  {
                    input1: input1.slice(0, -6),
                    input2: renderPattern(from, to).slice(0, -6),
                    output: mergePattern(to).slice(0, -6),
                    weight1: prevTo,
                    weight2: to - from + 1,
                    frameStart: first,
                    frameEnd: lastFrame,
                  },
                  'settings.render_output',
                ),
              },
            },
          ],
        );
        previews([merge], mergePattern(to), to, 1);
        mergeDeps = [merge];
      }
      prevTo = to;
    });

    const moow = add('move-outdir-out-of-way', 'file-management', 1, mergeDeps, [{ name: 'move_out_of_way', settings: { src: out.dir } }]);
    const copies = (src: (f: number) => string, ext: string): Command[] =>
      frames.map((f) => ({ name: 'copy_file', settings: { src: src(f), dest: frameFile(renderOutput, f, ext) } }));
    add(
      'publish-exr-to-output',
      'file-management',
      1,
      [moow],
      copies((f) => frameFile(mergePattern(count), f, '.exr'), '.exr'),
    );
    add(
      'publish-jpeg-to-output',
      'file-management',
      1,
      [images!, moow],
      copies((f) => join(inter, sep, `preview-${pad(f, 6)}.jpg`), '.jpg'),
    );
    add(
      'publish-video-to-output',
      'file-management',
      1,
      [video!, moow],
      [
        {
          name: 'copy_file',
          settings: { src: join(inter, sep, 'preview.mkv'), dest: join(out.dir, sep, 'preview.mkv') },
        },
      ],
    );
    return tasks;
  },
};
