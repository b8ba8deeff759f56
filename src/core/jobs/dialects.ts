// The two worker generations and the one translation between them. A job compiles once, into
// Flamenco Worker 2.5 ("v2") commands and task types; a Flamenco 3 Worker ("v3") gets the same
// task written in its dialect at hand-out. The table is documented in docs/task-translation.md.
import type { Backfills } from '../../db/open';
import type { Command, TaskRecord } from '../../db/tasks-repo';
import { translateCommand, type V3Command } from './dialect-commands';
import { v3TaskType } from '../support/generations';

export { NO_V3_EQUIVALENT, TRANSLATABLE_COMMANDS, type V3Command } from './dialect-commands';

export {
  GENERATIONS,
  type Generation,
  runnableTaskTypes,
  V3_TASK_TYPES,
  v2TaskTypesCoveredBy,
  v3TaskType,
} from '../support/generations';

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

/** What migrations need of these rules for the rows a database has already (db/open.ts). */
export const MIGRATION_BACKFILLS: Backfills = { v3Equivalent: hasV3Equivalent };

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
