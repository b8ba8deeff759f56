// The `custom` job type: the job document carries its tasks itself.
import type { Command } from '../../../db/tasks-repo';
import { ValidationError } from '../../support/errors';
import { isPlainObject as isObject } from '../../support/validate';
import type { CompiledTask, JobCompiler } from './types';

const MAX_TASKS = 100_000;

export function parseCommands(v: unknown, where: string): Command[] {
  if (!Array.isArray(v) || v.length === 0) throw new ValidationError(`${where}: must be a non-empty array of commands`);
  return v.map((c: unknown, i: number) => {
    const at = `${where}[${i}]`;
    if (!isObject(c)) throw new ValidationError(`${at}: must be an object {"name", "settings"}`);
    if (typeof c.name !== 'string' || c.name.trim() === '') throw new ValidationError(`${at}.name: must be a non-empty string`);
    const settings = c.settings ?? {};
    if (!isObject(settings)) throw new ValidationError(`${at}.settings: must be an object`);
    return { name: c.name, settings };
  });
}

export const customCompiler: JobCompiler = {
  job_type: 'custom',
  description: 'Tasks given explicitly in the job document ("tasks"); the escape hatch for pipelines (admin token only).',
  admin_only: true,
  settings: [],
  compile(_settings, _ctx, job) {
    const list = job.tasks;
    if (!Array.isArray(list) || list.length === 0) throw new ValidationError('tasks: a custom job needs a non-empty array of tasks');
    if (list.length > MAX_TASKS) throw new ValidationError(`tasks: at most ${MAX_TASKS} tasks per job`);
    const names = new Set<string>();
    const tasks: CompiledTask[] = list.map((t: unknown, i: number) => {
      const at = `tasks[${i}]`;
      if (!isObject(t)) throw new ValidationError(`${at}: must be an object`);
      if (typeof t.name !== 'string' || t.name.trim() === '' || t.name.length > 200) throw new ValidationError(`${at}.name: must be a string of 1 to 200 characters`);
      if (names.has(t.name)) throw new ValidationError(`${at}.name: "${t.name}" is used by another task of this job`);
      names.add(t.name);
      if (typeof t.task_type !== 'string' || t.task_type.trim() === '') throw new ValidationError(`${at}.task_type: must be a non-empty string`);
      const priority = t.priority ?? 0;
      if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 100) {
        throw new ValidationError(`${at}.priority: must be an integer from 0 to 100`);
      }
      const parents = t.parents ?? [];
      if (!Array.isArray(parents) || parents.some((p) => typeof p !== 'string')) throw new ValidationError(`${at}.parents: must be an array of task names`);
      return { name: t.name, task_type: t.task_type, priority, commands: parseCommands(t.commands, `${at}.commands`), parents: parents as string[] };
    });
    tasks.forEach((t, i) => {
      for (const p of t.parents) {
        if (!names.has(p)) throw new ValidationError(`tasks[${i}].parents: "${p}" is not a task of this job`);
        if (p === t.name) throw new ValidationError(`tasks[${i}].parents: a task cannot be its own parent`);
      }
    });
    const cycle = findCycle(tasks);
    if (cycle) throw new ValidationError(`tasks: the parents form a cycle: ${cycle.join(' → ')}`);
    return tasks;
  },
};

/** A dependency cycle as a list of task names, or undefined. */
export function findCycle(tasks: CompiledTask[]): string[] | undefined {
  const parents = new Map(tasks.map((t) => [t.name, t.parents]));
  const state = new Map<string, 1 | 2>(); // 1 = on the current path, 2 = done
  for (const start of tasks) {
    if (state.has(start.name)) continue;
    // Iterative depth-first search: job documents can hold long chains.
    const stack: { name: string; next: number }[] = [{ name: start.name, next: 0 }];
    state.set(start.name, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const ps = parents.get(top.name)!;
      if (top.next < ps.length) {
        const p = ps[top.next++]!;
        const st = state.get(p);
        if (st === 1) {
          const from = stack.findIndex((s) => s.name === p);
          return [...stack.slice(from).map((s) => s.name), p];
        }
        if (st === undefined) {
          state.set(p, 1);
          stack.push({ name: p, next: 0 });
        }
      } else {
        state.set(top.name, 2);
        stack.pop();
      }
    }
  }
  return undefined;
}
