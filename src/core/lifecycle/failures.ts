// What happens when a worker fails a task: failure lists, blocklisting, soft and hard failure.
import type { TaskRecord } from '../../db/tasks-repo';
import type { WorkerRecord } from '../../db/workers-repo';
import type { Clock } from '../support/clock';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import type { StateMachine } from './state';
import { identifier } from '../names';
import { counted } from '../support/plural';

export interface FailurePolicy {
  blocklist_threshold: number;
  task_fail_after_softfail_count: number;
}

export class FailureHandler {
  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly state: StateMachine,
    private readonly policy: () => FailurePolicy,
    private readonly log: Logger,
  ) {}

  /** Records that `worker` failed `task`, then soft- or hard-fails it. Call inside a transaction. */
  workerFailed(task: TaskRecord, worker: Pick<WorkerRecord, 'id' | 'nickname'>, activity?: string): void {
    const { taskFailures, blocklist, workers } = this.repos;
    const now = this.clock.now();
    const policy = this.policy();
    taskFailures.add(task.id, worker.id, identifier(worker), now);

    if (taskFailures.countForWorker(task.job_id, task.task_type, worker.id) >= policy.blocklist_threshold) {
      blocklist.add(task.job_id, task.task_type, worker.id, now);
      this.log.warn('worker blocklisted', { worker: worker.id, job: task.job_id, task_type: task.task_type });
    }

    const failedBy = taskFailures.list(task.id).length;
    const hard = failedBy >= policy.task_fail_after_softfail_count || !workers.someoneElseCanRun(task.task_type, task.job_id, task.id, task.job_tag, task.v3_equivalent);
    const why = hard
      ? failedBy >= policy.task_fail_after_softfail_count
        ? `failed by ${counted(failedBy, 'worker')}`
        : 'no other worker can run it'
      : `failed by ${counted(failedBy, 'worker')}, will be retried`;
    this.state.setTaskStatus(task, hard ? 'failed' : 'soft-failed', {
      clearWorker: !hard,
      activity: activity ? `${activity} (${why})` : `Task ${why}`,
    });
    this.log.info(hard ? 'task failed' : 'task soft-failed', { task: task.id, job: task.job_id, worker: worker.id, failed_by: failedBy });
  }
}
