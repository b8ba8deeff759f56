// The two worker generations and the one translation between them. A job compiles once, into
// Flamenco Worker 2.5 ("v2") commands and task types; a Flamenco 3 Worker ("v3") gets the same
// task written in its dialect at hand-out. The table is documented in docs/task-translation.md.
import type { Command, TaskRecord } from '../../db/tasks-repo';
import { translateCommand, type V3Command } from './dialect-commands';

export { NO_V3_EQUIVALENT, TRANSLATABLE_COMMANDS, type V3Command } from './dialect-commands';

export type Generation = 'v2' | 'v3';
export const GENERATIONS: readonly Generation[] = ['v2', 'v3'];

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

export type Translation = { ok: true; commands: V3Command[] } | { ok: false; reason: string };

/**
 * A task's commands in the Flamenco 3 dialect, or the reason (of the first command without an
 * equivalent) why a Flamenco 3 Worker cannot run the task. Pure: the same commands always give
 * the same answer, which is what lets submission store it per task.
 */
export function translateCommands(commands: readonly Command[]): Translation {
  const out: V3Command[] = [];
  for (const cmd of commands) {
    const t = translateCommand(cmd);
    if (!t.ok) return t;
    out.push(t.command);
  }
  if (out.length === 0) return { ok: false, reason: 'the task has no commands' };
  return { ok: true, commands: out };
}

/** Whether a Flamenco 3 Worker can run a task with these commands: the per-task marker of submission. */
export function hasV3Equivalent(commands: readonly Command[]): boolean {
  return translateCommands(commands).ok;
}

/**
 * How many `steps_completed` a Flamenco 3 Worker reports over the whole task: a command with a
 * total_step_count reports that many itself (blender-render: one per frame, from Blender's `Time:`
 * or `skipping existing frame` lines), every other command one step when it ends. Takes the
 * translated commands, or v2 commands (translated first; 0 when they have no equivalent).
 */
export function v3StepCount(commands: readonly (V3Command | Command)[]): number {
  let v3: readonly V3Command[];
  if (commands.every((c) => 'parameters' in c)) v3 = commands as readonly V3Command[];
  else {
    const t = translateCommands(commands as readonly Command[]);
    if (!t.ok) return 0;
    v3 = t.commands;
  }
  return v3.reduce((n, c) => n + (c.total_step_count > 0 ? c.total_step_count : 1), 0);
}

/** The `AssignedTask` of Flamenco 3's worker API, with exactly its keys. */
export interface V3AssignedTask {
  uuid: string;
  job: string;
  name: string;
  status: string;
  priority: number;
  job_priority: number;
  job_type: string;
  task_type: string;
  commands: V3Command[];
  steps_completed: number;
  steps_total: number;
}

/**
 * The task as a Flamenco 3 Worker receives it from POST /api/v3/worker/task. `commands` are the
 * task's commands already translated (after the worker's platform's variables were expanded; see
 * TaskDocuments.forV3Worker). The worker counts steps from 0 for every run, so none are completed.
 */
export function v3AssignedTask(
  task: Pick<TaskRecord, 'id' | 'job_id' | 'name' | 'status' | 'priority' | 'job_priority' | 'task_type'>,
  job: { job_type: string },
  commands: V3Command[],
): V3AssignedTask {
  return {
    uuid: task.id,
    job: task.job_id,
    name: task.name,
    status: task.status,
    priority: task.priority,
    job_priority: task.job_priority,
    job_type: job.job_type,
    task_type: v3TaskType(task.task_type),
    commands,
    steps_completed: 0,
    steps_total: v3StepCount(commands),
  };
}
