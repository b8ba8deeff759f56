// The two worker generations and what each calls a task type: Flamenco Worker 2.5 ("v2") and the
// Flamenco 3 Worker ("v3"). Vocabulary only, below db/ (which picks workers by it); how a task's
// commands read in each generation is jobs/dialects.ts.

export type Generation = 'v2' | 'v3';
export const GENERATIONS: readonly Generation[] = ['v2', 'v3'];

/**
 * Which worker program and version, as the CLI and the dashboard show it: `v2: 2.5`,
 * `v3: 3.9-beta1 (cf286e71)`; `v2: -` before it ever said. (A Flamenco 3 version carries its own
 * brackets, so the generation goes first.)
 */
export function softwareLabel(generation: Generation, version: string): string {
  return `${generation}: ${version || '-'}`;
}

/**
 * Task types of v2 → v3. Flamenco 3 Workers announce `blender ffmpeg file-management misc` by
 * default, and Flamenco 3's own jobs run echo, sleep and exec in `misc` tasks. A type not listed
 * (a custom pipeline's) is called the same in both generations.
 */
export const V3_TASK_TYPES: Readonly<Record<string, string>> = {
  'blender-render': 'blender',
  // blender-render-progressive's merges are Blender runs (its Python averages the sample chunks).
  'exr-merge': 'blender',
  'video-encoding': 'ffmpeg',
  'file-management': 'file-management',
  sleep: 'misc',
  debug: 'misc',
  'exec-command': 'misc',
};

/** The name a Flamenco 3 Worker knows a v2 task type by. */
export function v3TaskType(v2Type: string): string {
  return Object.hasOwn(V3_TASK_TYPES, v2Type) ? V3_TASK_TYPES[v2Type]! : v2Type;
}

/**
 * The v2 task types a Flamenco 3 Worker announcing `announcedV3` may run: those types themselves
 * and every v2 type that maps to one of them. Sorted, without duplicates.
 */
export function v2TaskTypesCoveredBy(announcedV3: readonly string[]): string[] {
  const announced = new Set(announcedV3);
  const out = new Set(announcedV3);
  for (const [v2, v3] of Object.entries(V3_TASK_TYPES)) if (announced.has(v3)) out.add(v2);
  return [...out].sort();
}

/**
 * The (v2) task types a worker may be handed: those it announced, or for a Flamenco 3 Worker the
 * ones its announced types cover. Dispatch and the stuck-work warnings both ask this.
 */
export function runnableTaskTypes(worker: { generation: Generation; supported_task_types: readonly string[] }): readonly string[] {
  return worker.generation === 'v3' ? v2TaskTypesCoveredBy(worker.supported_task_types) : worker.supported_task_types;
}
