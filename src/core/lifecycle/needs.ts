// What lifecycle needs of the protocol package above it, as small interfaces: lifecycle imports
// nothing from protocol/, and the manager hands it the real services (core/manager.ts).
import type { WorkerRecord } from '../../db/workers-repo';

/** A task's log files (protocol/task-logs.ts). */
export interface TaskLogFiles {
  /** Appends a line to the current run's log, in order with the worker's own lines. */
  append(jobId: string, taskId: string, text: string): Promise<void>;
  /** The directory of a job's logs. */
  dir(jobId: string): string;
  removeJob(jobId: string): void;
}

/** Taking work away from a worker and asking it for a status (protocol/workers.ts). */
export interface WorkerControl {
  /** When the worker was last heard from (ms). */
  lastHeard(w: WorkerRecord): number;
  /** Requeues the worker's tasks, writing `why` into their logs; returns how many. */
  releaseTasks(w: WorkerRecord, why: string): number;
  requestStatus(workerId: string, status: string, opts: { lazy?: boolean }): unknown;
}
