// The farm on this machine: core calls on the data directory's database.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Manager } from '../../core/manager';
import { logRuns, pickRun, runsOfTask } from '../../core/protocol/task-log-runs';
import { tailOf } from '../../core/protocol/task-logs';
import type { TaskView } from '../../core/views';
import type { TagChange } from '../../core/protocol/worker-tags';
import type { FarmClient, JobAction, RunInfo } from './client';

export class LocalClient implements FarmClient {
  constructor(
    readonly manager: Manager,
    private readonly onClose: () => void,
  ) {}

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
    return this.m.stuck.submitted(this.m.jobs.submit(doc, {}, 'admin'));
  }

  async jobList(status: string | undefined, listing: Parameters<FarmClient['jobList']>[1]) {
    return this.m.views.jobList(status, listing);
  }

  async jobDetail(ref: string, sel: Parameters<FarmClient['jobDetail']>[1]) {
    return this.m.views.jobDetail(this.m.names.job(ref), sel);
  }

  async jobSummary(ref: string) {
    return this.m.views.jobSummary(this.m.names.job(ref));
  }

  async jobAction(ref: string, action: JobAction) {
    const id = this.m.names.job(ref);
    const job = action === 'cancel' ? this.m.jobActions.cancel(id) : action === 'pause' ? this.m.jobActions.pause(id) : this.m.jobActions.resume(id);
    return this.m.views.jobSummary(job.id);
  }

  async setPriority(ref: string, priority: number) {
    return this.m.views.jobSummary(this.m.jobActions.setPriority(this.m.names.job(ref), priority).id);
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
    return this.m.views.task(this.m.names.task(ref));
  }

  async logRuns(t: TaskView): Promise<RunInfo[]> {
    // Lines this process queued (the manager's own "assigned …") are on disk before the runs are listed.
    await this.m.logs.flushed(t.job, t.id);
    return runsOfTask(this.m.logs, t.job, t.id);
  }

  async readRun(t: TaskView, run: number | undefined, tail: number | undefined) {
    const r = pickRun(logRuns(this.m.logs, t.job, t.id), t.id, run);
    if (!r) return '';
    const fd = openSync(r.file, 'r');
    try {
      return tailOf(fd, fstatSync(fd).size, tail ?? Number.MAX_SAFE_INTEGER);
    } finally {
      closeSync(fd);
    }
  }

  async readFrom(t: TaskView, offset: number) {
    const h = this.m.logs.open(t.job, t.id);
    if (!h) return { data: Buffer.alloc(0), size: 0 };
    try {
      const data = Buffer.alloc(Math.max(0, h.size - offset));
      let pos = 0;
      while (pos < data.length) {
        const n = readSync(h.fd, data, pos, data.length - pos, offset + pos);
        if (n <= 0) break;
        pos += n;
      }
      return { data: data.subarray(0, pos), size: h.size };
    } finally {
      closeSync(h.fd);
    }
  }

  async tailWithSize(t: TaskView, tail: number) {
    // The tail and the size come from one look at the file: a line appended in between is
    // neither lost nor printed twice when following on from there.
    const h = this.m.logs.open(t.job, t.id);
    if (!h) return { text: '', size: 0 };
    try {
      return { text: tailOf(h.fd, h.size, tail), size: h.size };
    } finally {
      closeSync(h.fd);
    }
  }

  async workers() {
    return this.m.views.workers();
  }

  async requestStatus(ref: string, status: string, lazy: boolean) {
    const w = this.m.workers.requestStatus(this.m.names.worker(ref), status, lazy);
    return this.m.views.worker(w.id);
  }

  async forgetWorker(ref: string) {
    const id = this.m.names.worker(ref);
    return { id, requeued: this.m.workers.forget(id) };
  }

  async sleepSchedule(ref: string) {
    const id = this.m.views.worker(this.m.names.worker(ref)).id;
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
