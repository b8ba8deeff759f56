// The tables several commands print: jobs (jobs, queue-status) and workers (list-workers).
import type { JobSummary } from '../core/lifecycle/queue';
import { allOnOneRow, firstLine } from '../core/support/one-line';
import { softwareLabel } from '../core/support/generations';
import type { JobDetail, TaskView, WorkerView } from '../core/read-models';
import { colourStatus, omittedNote, percent, progressBar, relativeTime, type Style, table, taskLabel } from './format';

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Below this width the jobs table shows progress as "45% 9/20" instead of a bar, leaving the room to the names. */
const BAR_WIDTH = 100;

export function jobsTable(jobs: JobSummary[], style: Style, now: number): string {
  const narrow = style.width !== undefined && style.width < BAR_WIDTH;
  const rows = jobs.map((j) => {
    const done = j.tasks.completed ?? 0;
    const all = total(j.tasks);
    const progress = narrow ? [`${percent(done, all)}% ${done}/${all}`] : [progressBar(done, all), `${done}/${all}`];
    return [j.id, j.name, j.job_type, j.status, String(j.priority), ...progress, relativeTime(Date.parse(j.created), now)];
  });
  const headers = ['JOB', 'NAME', 'TYPE', 'STATUS', 'PRIO', 'PROGRESS', ...(narrow ? [] : ['DONE']), 'CREATED'];
  return table(headers, rows, style, { ids: ['JOB'], keep: ['STATUS', 'PROGRESS', 'DONE'], status: 'STATUS' });
}

export function jobProgress(j: JobSummary): string {
  return `${progressBar(j.tasks.completed ?? 0, total(j.tasks))} ${j.tasks.completed}/${total(j.tasks)}`;
}

export function tasksTable(tasks: TaskView[], style: Style): string {
  // A fitted table shows the first line of an activity (cut to the column), a wide one all of it.
  const activity = style.width === undefined ? allOnOneRow : firstLine;
  const rows = tasks.map((t) => [t.id, t.name, t.task_type, t.status, t.worker_nickname ?? '-', `${t.progress}%`, activity(t.activity)]);
  return table(['TASK', 'NAME', 'TYPE', 'STATUS', 'WORKER', 'PROGRESS', 'ACTIVITY'], rows, style, {
    ids: ['TASK'],
    keep: ['STATUS'],
    status: 'STATUS',
    // The ids of one job's tasks differ only in their last characters; `<job>/<task name>` names a task too.
    drop: ['TASK', 'TYPE'],
  });
}

/** Which worker program and version (core/support/generations.ts). */
export function workerSoftware(w: Pick<WorkerView, 'generation' | 'version'>): string {
  return softwareLabel(w.generation, w.version);
}

/**
 * When a worker was last heard from, relative to now. Read from the database (`lagMs` > 0) a time
 * within the lag says no more than that: serve writes last_seen only that often.
 */
function lastSeen(iso: string, now: number, lagMs: number): string {
  const t = Date.parse(iso);
  return lagMs > 0 && now - t < lagMs ? `<${Math.round(lagMs / 1000)}s ago` : relativeTime(t, now);
}

export function workersTable(workers: WorkerView[], style: Style, now: number, lastSeenLagMs = 0): string {
  const rows = workers.map((w) => [
    w.id,
    w.nickname,
    w.status || '(registered)',
    w.status_requested ? `${w.status_requested}${w.lazy_status_request ? ' (lazy)' : ''}` : '-',
    w.platform,
    w.address,
    taskLabel(w.current_job_name, w.current_task_name),
    lastSeen(w.last_seen, now, lastSeenLagMs),
    workerSoftware(w),
    w.supported_task_types.join(','),
    w.tags.join(',') || '-',
  ]);
  return table(['ID', 'NICKNAME', 'STATUS', 'REQUESTED', 'PLATFORM', 'ADDRESS', 'TASK', 'LAST SEEN', 'WORKER', 'TASK TYPES', 'TAGS'], rows, style, {
    ids: ['ID'],
    keep: ['STATUS', 'LAST SEEN'],
    drop: ['TASK TYPES', 'TAGS', 'ADDRESS', 'PLATFORM', 'WORKER', 'REQUESTED'],
    status: 'STATUS',
  });
}

/** `job <id>`: the job's fields and settings, then its tasks. */
export function jobText(j: JobDetail, omitted: number, taskStatus: string | undefined, style: Style, now: number): string {
  const lines = [
    `job ${j.id}: ${j.name}`,
    `  type:      ${j.job_type}`,
    `  status:    ${colourStatus(j.status, style)}${j.activity ? ` (${j.activity})` : ''}`,
    `  priority:  ${j.priority}`,
    `  created:   ${j.created} (${relativeTime(Date.parse(j.created), now)})`,
    `  progress:  ${jobProgress(j)}`,
  ];
  if (j.tag) lines.push(`  tag:       ${j.tag}`);
  if (j.submitter_platform) lines.push(`  submitted from: ${j.submitter_platform}`);
  for (const [k, v] of Object.entries(j.settings)) lines.push(`  settings.${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  for (const [k, v] of Object.entries(j.metadata)) lines.push(`  metadata.${k}: ${v}`);
  for (const w of j.warnings) lines.push(`  warning:   ${w}`);
  const head = lines.join('\n') + '\n\n';
  if (j.task_list.length === 0) return head + (taskStatus ? `no ${taskStatus} tasks\n` : 'no tasks\n');
  return head + tasksTable(j.task_list, style) + '\n' + omittedNote(omitted, 'task');
}
