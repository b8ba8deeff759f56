// A manager elsewhere, over its /api/: the same calls as LocalClient, answered by the same core
// on the other side. Errors come back as the domain errors they were there (same message, same
// exit code); a wrong token, an unreachable manager and another version get their own.
import type { PrunableStatus } from '../../core/lifecycle/retention';
import type { Listing } from '../../core/listing';
import { EXIT, errorFor, isErrorCode, UnauthorizedError, ValidationError } from '../../core/support/errors';
import type { JobDetail, JobView, TaskSelection, TaskView } from '../../core/read-models';
import { VERSION } from '../../version';
import type { FarmClient, JobAction, WebhookDeliveries } from './client';
import type { TagChange, WorkerTagsView } from '../../core/protocol/worker-tags';

/** The version a flamenco-mgr's /api/version names; undefined for any other answer. */
async function versionOf(r: Response): Promise<string | undefined> {
  try {
    const body = (await r.json()) as { version?: unknown; commit?: unknown };
    return body !== null && typeof body.version === 'string' && typeof body.commit === 'string' ? body.version : undefined;
  } catch {
    return undefined;
  }
}

/** A remote manager could not be used (unreachable, another version); the exit code says why. */
export class RemoteError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** How long one request may take before the manager counts as unreachable. */
const REQUEST_TIMEOUT_MS = 30_000;
const OMITTED = 'x-omitted';

type Query = Record<string, string | number | boolean | undefined>;

export class RemoteClient implements FarmClient {
  private readonly base: string;
  readonly lastSeenLagMs = 0;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  now(): number {
    return Date.now();
  }

  close(): void {}

  /**
   * Checks that the manager answers, takes the token and runs this version. A server that answers
   * /api/version without a flamenco-mgr version (another web server, a Flamenco Manager, a proxy's
   * error page) is most likely a mistyped URL, not an older flamenco-mgr: every release has it.
   */
  async connect(): Promise<void> {
    const r = await this.request('GET', '/api/version', {}, undefined, { raw: true });
    const v = r.status === 200 ? await versionOf(r) : undefined;
    if (v === undefined) {
      const what = r.status === 200 ? 'answered GET /api/version without a flamenco-mgr version' : `answered GET /api/version with HTTP ${r.status}`;
      throw new RemoteError(EXIT.otherVersion, `${this.base} does not answer like a flamenco-mgr: check the URL (it ${what})`);
    }
    if (v !== VERSION) {
      throw new RemoteError(EXIT.otherVersion, `the manager at ${this.base} runs flamenco-mgr ${v}; this is flamenco-mgr ${VERSION}: use the same version on both sides`);
    }
  }

  /** `raw`: any answer is returned as it is, instead of an error answer becoming a thrown error. */
  private async request(method: string, path: string, query: Query = {}, body?: unknown, opts: { raw?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
    const { raw = false, headers = {} } = opts;
    const qs = Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const url = `${this.base}${path}${qs ? `?${qs}` : ''}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new RemoteError(EXIT.unreachable, `cannot reach the manager at ${this.base}: ${why}`);
    }
    if (res.status === 401) {
      throw new UnauthorizedError(`the manager at ${this.base} refused the token (run 'flamenco-mgr admin-token' on the manager for the right one)`);
    }
    if (raw || res.ok || res.status === 416) return res;
    throw await errorOf(res);
  }

  private async json<T>(method: string, path: string, query: Query = {}, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, query, body)).json()) as T;
  }

  private async listed<T>(path: string, query: Query): Promise<{ value: T; omitted: number }> {
    const res = await this.request('GET', path, query);
    return { value: (await res.json()) as T, omitted: Number(res.headers.get(OMITTED) ?? 0) };
  }

  private static ref(r: string): string {
    return encodeURIComponent(r);
  }

  private static listing(l: Listing): Query {
    return { scope: l.scope, limit: l.limit };
  }

  submit(doc: unknown) {
    return this.json<{ id: string; tasks: number; warnings: string[] }>('POST', '/api/jobs', {}, doc);
  }

  async jobList(status: string | undefined, listing: Listing) {
    const { value, omitted } = await this.listed<JobView[]>('/api/jobs', { status, ...RemoteClient.listing(listing) });
    return { jobs: value, omitted };
  }

  async jobDetail(ref: string, sel: TaskSelection) {
    const { value, omitted } = await this.listed<JobDetail>(`/api/jobs/${RemoteClient.ref(ref)}`, { task_status: sel.status, limit: sel.limit, offset: sel.offset });
    return { job: value, omitted };
  }

  async jobSummary(ref: string): Promise<JobView> {
    // The job detail starts with the job's own fields in the same order: drop the rest.
    const { settings: _s, warnings: _w, task_list: _t, ...job } = (await this.jobDetail(ref, { limit: 1 })).job;
    return job;
  }

  jobAction(ref: string, action: JobAction) {
    return this.json<JobView>('POST', `/api/jobs/${RemoteClient.ref(ref)}/${action}`);
  }

  setPriority(ref: string, priority: number) {
    return this.json<JobView>('POST', `/api/jobs/${RemoteClient.ref(ref)}/priority`, {}, { priority });
  }

  async deleteJob(ref: string) {
    const id = (await this.jobSummary(ref)).id;
    await this.request('DELETE', `/api/jobs/${id}`);
    return id;
  }

  prune(olderThanMs: number, statuses: PrunableStatus[]) {
    return this.json<Awaited<ReturnType<FarmClient['prune']>>>('POST', '/api/prune-jobs', {}, { older_than: `${olderThanMs}ms`, status: statuses });
  }

  async queue(jobRef: string | undefined, listing: Listing) {
    const { value, omitted } = await this.listed<Awaited<ReturnType<FarmClient['queue']>>['status']>('/api/queue-status', { job: jobRef, ...RemoteClient.listing(listing) });
    return { status: value, omitted };
  }

  async requeueJob(ref: string, failedOnly: boolean) {
    return (await this.json<{ requeued: number }>('POST', `/api/jobs/${RemoteClient.ref(ref)}/requeue`, {}, { failed_only: failedOnly })).requeued;
  }

  async requeueTasks(refs: string[]) {
    return (await this.json<{ requeued: number }>('POST', '/api/requeue-tasks', {}, { tasks: refs })).requeued;
  }

  async requeueWorker(ref: string) {
    return (await this.json<{ requeued: number }>('POST', `/api/workers/${RemoteClient.ref(ref)}/requeue`)).requeued;
  }

  task(ref: string) {
    return this.json<TaskView>('GET', `/api/tasks/${RemoteClient.ref(ref)}`);
  }

  logRuns(t: TaskView) {
    return this.json<{ run: number; worker: string | null }[]>('GET', `/api/tasks/${t.id}/runs`);
  }

  async readRun(t: TaskView, run: number | undefined, tail: number | undefined) {
    return (await this.request('GET', `/api/tasks/${t.id}/log`, { run, tail })).text();
  }

  async readFrom(t: TaskView, offset: number) {
    const res = await this.request('GET', `/api/tasks/${t.id}/log`, {}, undefined, { headers: { Range: `bytes=${offset}-` } });
    const range = res.headers.get('content-range');
    const data = Buffer.from(await res.arrayBuffer());
    if (res.status === 416) return { data: Buffer.alloc(0), size: Number(/\/(\d+)$/.exec(range ?? '')?.[1] ?? 0) };
    if (res.status === 206) return { data, size: Number(/\/(\d+)$/.exec(range ?? '')?.[1] ?? offset + data.length) };
    // 200: the whole log (none yet, or empty).
    return { data: offset === 0 ? data : Buffer.alloc(0), size: data.length };
  }

  async tailWithSize(t: TaskView, tail: number) {
    const res = await this.request('GET', `/api/tasks/${t.id}/log`, { tail });
    const text = await res.text();
    return { text, size: Number(res.headers.get('x-log-size') ?? Buffer.byteLength(text)) };
  }

  workers() {
    return this.json<Awaited<ReturnType<FarmClient['workers']>>>('GET', '/api/workers');
  }

  requestStatus(ref: string, status: string, lazy: boolean) {
    return this.json<Awaited<ReturnType<FarmClient['requestStatus']>>>('POST', `/api/workers/${RemoteClient.ref(ref)}/status`, {}, { status, lazy });
  }

  private async workerId(ref: string): Promise<string> {
    return (await this.json<{ id: string }>('GET', `/api/workers/${RemoteClient.ref(ref)}`)).id;
  }

  async forgetWorker(ref: string) {
    const id = await this.workerId(ref);
    return { id, requeued: (await this.json<{ requeued: number }>('DELETE', `/api/workers/${id}`)).requeued };
  }

  async sleepSchedule(ref: string) {
    const id = await this.workerId(ref);
    return { worker: id, schedule: await this.json<Awaited<ReturnType<FarmClient['sleepSchedule']>>['schedule']>('GET', `/api/workers/${id}/sleep-schedule`) };
  }

  setSleepSchedule(ref: string, days: string, start: string, end: string) {
    return this.json<Awaited<ReturnType<FarmClient['setSleepSchedule']>>>('PUT', `/api/workers/${RemoteClient.ref(ref)}/sleep-schedule`, {}, { days, start, end });
  }

  async sleepScheduleOff(ref: string) {
    const id = await this.workerId(ref);
    await this.request('DELETE', `/api/workers/${id}/sleep-schedule`);
    return id;
  }

  workerTags(ref: string) {
    return this.json<WorkerTagsView>('GET', `/api/workers/${RemoteClient.ref(ref)}/tags`);
  }

  changeWorkerTags(ref: string, change: TagChange) {
    const path = `/api/workers/${RemoteClient.ref(ref)}/tags`;
    if ('set' in change) return this.json<WorkerTagsView>('PUT', path, {}, { tags: change.set });
    if ('add' in change) return this.json<WorkerTagsView>('PUT', `${path}/${encodeURIComponent(String(change.add))}`);
    if ('remove' in change) return this.json<WorkerTagsView>('DELETE', `${path}/${encodeURIComponent(String(change.remove))}`);
    return this.json<WorkerTagsView>('DELETE', path);
  }

  webhooks(limit: number) {
    return this.json<WebhookDeliveries>('GET', '/api/webhooks', { limit });
  }

  blocklist(jobRef: string | undefined) {
    return this.json<Awaited<ReturnType<FarmClient['blocklist']>>>('GET', '/api/blocklist', { job: jobRef });
  }

  async clearBlocklist(jobRef: string, workerRef: string | undefined, taskType: string | undefined) {
    return (await this.json<{ removed: number }>('DELETE', '/api/blocklist', { job: jobRef, worker: workerRef, task_type: taskType })).removed;
  }
}

/** The API's error answer as the domain error it was on the manager. */
export async function errorOf(res: Response): Promise<Error> {
  let code = '';
  let message = `the manager answered ${res.status}`;
  try {
    const b = (await res.json()) as { error?: { code?: string; message?: string } };
    code = b.error?.code ?? '';
    message = b.error?.message ?? message;
  } catch {
    // Not our JSON: keep the status.
  }
  // The same error as on the manager's side: same message, same exit code.
  if (isErrorCode(code)) return errorFor(code, message, retryAfterMs(res.headers.get('retry-after')));
  if (res.status === 400) return new ValidationError(message);
  return new Error(`the manager answered ${res.status}: ${message}`);
}

function retryAfterMs(header: string | null): number | undefined {
  const seconds = Number(header ?? '');
  return header && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
