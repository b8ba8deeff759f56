// The farm on this machine: core calls on the data directory's database.
import type { Manager } from '../../core/manager';
import { SEEN_WRITE_INTERVAL_MS } from '../../core/protocol/workers';
import { openTaskLog, taskLogRuns } from '../../core/protocol/task-log-reads';
import type { TaskView } from '../../core/read-models';
import type { TagChange } from '../../core/protocol/worker-tags';
import type { FarmClient, JobAction, RunInfo } from './client';

export class LocalClient implements FarmClient {
  constructor(
    readonly manager: Manager,
    private readonly onClose: () => void,
  ) {}

  readonly lastSeenLagMs = SEEN_WRITE_INTERVAL_MS;

  now(): number {
    return this.manager.clock.now();
  }

  close(): void {
    this.onClose();
  }

  private get m(): Manager {
    return this.manager;
  }

  async submit(doc: unknown) {
    return this.m.jobs.submit(doc, {}, 'admin');
  }

  async jobList(status: string | undefined, listing: Parameters<FarmClient['jobList']>[1]) {
    return this.m.readModels.jobList(status, listing);
  }

  async jobDetail(ref: string, sel: Parameters<FarmClient['jobDetail']>[1]) {
    return this.m.readModels.jobDetail(this.m.names.job(ref), sel);
  }

  async jobSummary(ref: string) {
    return this.m.readModels.jobSummary(this.m.names.job(ref));
  }

  async jobAction(ref: string, action: JobAction) {
    const id = this.m.names.job(ref);
    const job = action === 'cancel' ? this.m.jobActions.cancel(id) : action === 'pause' ? this.m.jobActions.pause(id) : this.m.jobActions.resume(id);
    return this.m.readModels.jobSummary(job.id);
  }

  async setPriority(ref: string, priority: number) {
    return this.m.readModels.jobSummary(this.m.jobActions.setPriority(this.m.names.job(ref), priority).id);
  }

  async deleteJob(ref: string) {
    const id = this.m.names.job(ref);
    this.m.jobActions.delete(id);
    return id;
  }

  async prune(olderThanMs: number, statuses: Parameters<FarmClient['prune']>[1]) {
    return this.m.retention.prune(olderThanMs, statuses);
  }

  async queue(jobRef: string | undefined, listing: Parameters<FarmClient['queue']>[1]) {
    return this.m.queue.listed(jobRef === undefined ? undefined : this.m.names.job(jobRef), listing);
  }

  async requeueJob(ref: string, failedOnly: boolean) {
    return this.m.queue.requeueJob(this.m.names.job(ref), failedOnly);
  }

  async requeueTasks(refs: string[]) {
    return this.m.queue.requeueTasks(refs.map((r) => this.m.names.task(r)));
  }

  async requeueWorker(ref: string) {
    return this.m.queue.requeueWorker(this.m.names.worker(ref));
  }

  async task(ref: string) {
    return this.m.readModels.task(this.m.names.task(ref));
  }

  async logRuns(t: TaskView): Promise<RunInfo[]> {
    return taskLogRuns(this.m.taskLogs, t.job, t.id);
  }

  async readRun(t: TaskView, run: number | undefined, tail: number | undefined) {
    const log = await openTaskLog(this.m.taskLogs, t.job, t.id, run);
    return log ? log.tail(tail ?? Number.MAX_SAFE_INTEGER) : '';
  }

  async readFrom(t: TaskView, offset: number) {
    const log = await openTaskLog(this.m.taskLogs, t.job, t.id);
    return log ? { size: log.size, data: log.bytesFrom(offset) } : { data: Buffer.alloc(0), size: 0 };
  }

  async tailWithSize(t: TaskView, tail: number) {
    const log = await openTaskLog(this.m.taskLogs, t.job, t.id);
    return log ? { size: log.size, text: log.tail(tail) } : { text: '', size: 0 };
  }

  async workers() {
    return this.m.readModels.workers();
  }

  async requestStatus(ref: string, status: string, lazy: boolean) {
    const w = this.m.workers.requestStatus(this.m.names.worker(ref), status, { lazy });
    return this.m.readModels.worker(w.id);
  }

  async forgetWorker(ref: string) {
    const id = this.m.names.worker(ref);
    return { id, requeued: this.m.workers.forget(id) };
  }

  async sleepSchedule(ref: string) {
    const id = this.m.readModels.worker(this.m.names.worker(ref)).id;
    return { worker: id, schedule: this.m.sleepSchedules.get(id) ?? null };
  }

  async setSleepSchedule(ref: string, days: string, start: string, end: string) {
    return this.m.sleepSchedules.set(this.m.names.worker(ref), days, start, end);
  }

  async sleepScheduleOff(ref: string) {
    const id = this.m.names.worker(ref);
    this.m.sleepSchedules.off(id);
    return id;
  }

  async workerTags(ref: string) {
    return this.m.workerTags.get(this.m.names.worker(ref));
  }

  async changeWorkerTags(ref: string, change: TagChange) {
    return this.m.workerTags.change(this.m.names.worker(ref), change);
  }

  async webhooks(limit: number) {
    return this.m.observe.webhooks.recent(limit);
  }

  async blocklist(jobRef: string | undefined) {
    return this.m.blocklist.list(jobRef === undefined ? undefined : this.m.names.job(jobRef));
  }

  async clearBlocklist(jobRef: string, workerRef: string | undefined, taskType: string | undefined) {
    return this.m.blocklist.clear({ job: this.m.names.job(jobRef), worker: workerRef === undefined ? undefined : this.m.names.worker(workerRef), task_type: taskType });
  }
}
