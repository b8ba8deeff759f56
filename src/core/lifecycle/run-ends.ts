// The last line of a task run that the manager ended rather than the worker: why the run was taken
// away (worker timed out, signed off or forgotten; requeued by an admin). `task-log --all-runs`
// shows it at the end of that run.
import type { TaskLogFiles } from './needs';
import { type Clock, isoTime } from '../support/clock';

/**
 * Appends the line without waiting for it. Task logs are written in order per file, so in this
 * process the line lands before the next run's rotation; a CLI requeue whose line is still being
 * written when serve hands the task out again may see it land at the start of the next run.
 */
export function logTakenAway(taskLogs: TaskLogFiles | undefined, clock: Clock, task: { id: string; job_id: string }, worker: string, why: string): void {
  if (!taskLogs) return;
  void taskLogs.append(task.job_id, task.id, `${isoTime(clock.now())}: Manager took this run away from worker ${worker}: ${why}`);
}
