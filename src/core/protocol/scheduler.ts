// Hands tasks to workers: the eligibility rules and total dispatch order of the protocol, claimed
// inside one immediate transaction so that no task is ever given to two workers.
import { type TaskRecord, tagsParam } from '../../db/tasks-repo';
import type { WorkerRecord } from '../../db/workers-repo';
import type { Clock } from '../support/clock';
import type { RequestableStatus } from '../support/statuses';
import { isoTime } from '../support/clock';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import type { StateMachine } from '../lifecycle/state';
import { dispatchesBefore } from '../support/dispatch-rules';
import { runnableTaskTypes } from '../support/generations';
import type { TaskLogs } from './task-logs';
import { identifier } from '../names';

export type ClaimResult = { kind: 'status-change'; status: RequestableStatus } | { kind: 'no-task-types' } | { kind: 'none' } | { kind: 'task'; task: TaskRecord; fresh: boolean };

export class Scheduler {
  /**
   * Per worker, the database's change mark when a search found nothing for it. While the mark is
   * the same, nothing it depends on (tasks, jobs, its own record, blocklist, failures) has
   * changed, so an idle poll answers from one read instead of one query per task type (an idle
   * farm's polls, 5 statements of 6 with four task types). One short entry per worker that polled.
   */
  private readonly foundNothingAt = new Map<string, string>();

  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly state: StateMachine,
    private readonly taskLogs: TaskLogs,
    private readonly log: Logger,
  ) {}

  /** Steps 2–7 of POST /task for a worker that was just marked seen. */
  claim(worker: WorkerRecord): ClaimResult {
    if (worker.status_requested) return { kind: 'status-change', status: worker.status_requested };
    if (worker.supported_task_types.length === 0) return { kind: 'no-task-types' };
    // A task still active on the worker is handed back only to a worker that signed on since
    // (it restarted and lost it). A Flamenco Worker asks for a task only once its current one has
    // ended, so otherwise it has finished that task and its report is still on its way (queued
    // while the manager was down, retried every 5 s): handing the task out again would run it
    // twice. The worker gets nothing until that report arrives, so it never holds two tasks.
    const resume = worker.resume_task;
    const mark = resume ? '' : this.repos.changes.current();
    if (!resume && this.foundNothingAt.get(worker.id) === mark) return { kind: 'none' };
    if (!resume && this.repos.tasks.hasActiveForWorker(worker.id)) return this.nothing(worker, mark);
    // Find the task with plain reads first: the idle poll, the farm's most common request, then
    // answers without taking the write lock.
    const candidate = resume ? undefined : this.pick(worker);
    if (!resume && !candidate) return this.nothing(worker, mark);
    this.foundNothingAt.delete(worker.id);
    const result = this.repos.write((): ClaimResult => {
      if (resume) {
        // Handed back at most once per sign-on.
        this.repos.workers.clearResumeTask(worker.id);
        worker.resume_task = null;
        const running = this.repos.tasks.get(resume);
        if (running && running.status === 'active' && running.worker_id === worker.id) {
          this.repos.tasks.ping(running.id, this.clock.now());
          // Sign-on cleared current_task; the worker resumes this task, so it is current again.
          this.repos.workers.setCurrentTask(worker.id, running.id);
          return { kind: 'task', task: running, fresh: false };
        }
      }
      // Under the write lock, the candidate must still be waiting: another process (the CLI) may
      // have canceled, paused or deleted its job since the read. Then search again.
      const best = (candidate && this.repos.tasks.getIfReady(candidate.id)) || this.pick(worker);
      if (!best) return { kind: 'none' };
      this.state.setTaskStatus(best, 'active', { workerId: worker.id, workerName: worker.nickname, activity: `assigned to ${worker.nickname}` });
      this.repos.workers.assignTask(worker.id, best.id, this.clock.now());
      return { kind: 'task', task: best, fresh: true };
    });

    if (result.kind === 'task' && result.fresh) {
      const t = result.task;
      // The manager's own line starts the run's log: the answer does not wait for it (file
      // creation is the slowest step of a claim); the worker's own log lines queue up behind it.
      void this.taskLogs.startRun(t.job_id, t.id, `${isoTime(this.clock.now())}: Manager assigned task ${t.id} to worker ${identifier(worker)}`);
      this.log.debug('task assigned', { task: t.id, job: t.job_id, worker: worker.id });
    } else if (result.kind === 'task') {
      // The worker restarted while running the task and starts it again from the beginning: the
      // same run's log says so, or the two attempts would read as one.
      const t = result.task;
      void this.taskLogs.append(
        t.job_id,
        t.id,
        `${isoTime(this.clock.now())}: Manager handed task ${t.id} back to worker ${identifier(worker)}, which signed on again while running it`,
      );
      this.log.info('task handed back after sign-on', { task: t.id, job: t.job_id, worker: worker.id });
    }
    return result;
  }

  private nothing(worker: WorkerRecord, mark: string): ClaimResult {
    this.foundNothingAt.set(worker.id, mark);
    return { kind: 'none' };
  }

  private pick(worker: WorkerRecord): TaskRecord | undefined {
    const tags = tagsParam(worker.tags);
    const v3 = worker.generation === 'v3';
    let best: TaskRecord | undefined;
    for (const type of runnableTaskTypes(worker)) {
      const cand = this.repos.tasks.nextForType(type, worker.id, tags, v3);
      if (cand && (!best || dispatchesBefore(cand, best))) best = cand;
    }
    return best;
  }
}
