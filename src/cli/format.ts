// Human output: aligned tables, relative times, progress bars.
import { io } from './io';

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** "12s ago", "5m ago", "3h ago", "2d ago"; "in 4s" for the future; "never" for none. */
export function relativeTime(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return 'never';
  const d = Math.round((now - ms) / 1000);
  const abs = Math.abs(d);
  let text: string;
  if (abs < 60) text = `${abs}s`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)}m`;
  else if (abs < 86400) text = `${Math.floor(abs / 3600)}h`;
  else text = `${Math.floor(abs / 86400)}d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

export function progressBar(done: number, total: number, width = 20): string {
  const frac = total > 0 ? done / total : 0;
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}%`;
}

export function printJson(value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + '\n');
}

/**
 * A running task as people think of it: its job's name and frames ("shot 12 · 1-10"), taken from
 * the task name the compilers give (`blender-render-1-10`); other tasks by their name.
 */
export function taskLabel(jobName: string | null, taskName: string | null): string {
  if (!taskName) return '-';
  const frames = /-(\d+(?:-\d+)?)$/.exec(taskName)?.[1];
  return `${jobName ?? '?'} · ${frames ?? taskName}`;
}
