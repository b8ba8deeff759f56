// The worker API of Flamenco 3 (`/api/v3/worker/…`), as the Flamenco 3 Worker (Go) uses it:
// parse its camelCase/snake_case JSON → call the same core operations as worker-routes.ts → shape
// the answer it reads. Only the shapes differ; what the worker does with each answer is in
// v3-worker-answers.ts, and the task's commands in its dialect come from core/protocol/dialects.ts.
import type { IncomingMessage } from 'node:http';
import { refuseBrowsers } from './access';
import type { Manager } from '../core/manager';
import { parseTaskUpdate, type TaskUpdate } from '../core/protocol/task-reports';
import type { WorkerRecord } from '../core/protocol/workers';
import { ForbiddenError, NotAcceptableError, NotFoundError, UnsupportedMediaTypeError, ValidationError } from '../core/support/errors';
import { isId } from '../core/support/ids';
import { isTrusted } from '../core/support/networks';
import { isoTime } from '../core/support/clock';
import { imageType } from '../core/observe/last-rendered';
import { finiteNumber, given, object, optionalString, string, stringList } from '../core/support/validate';
import { jsonObject, parseJson } from './body';
import { json, noContent, type Reply } from './reply';
import type { RequestCtx, Route } from './server';
import { LoginRefused } from './worker-refusals';
import { callerOf, workerAuth } from './worker-auth';
import { parsedOrRefused, SELF_DESCRIPTION_BODY_LIMIT, TASK_UPDATE_BODY_LIMIT } from './worker-routes';
import { checkImageHeaders, IMAGE_MAX_BYTES, type UploadPacer, uploadPacer } from './v3-uploads';
import { v3Refusals, v3Status, type V3Route } from './v3-worker-answers';

export const V3_WORKER_PREFIX = '/api/v3/worker';

/** The task statuses a Flamenco 3 worker reports, as ours (it never reports the others). */
const REPORTED: Record<string, TaskUpdate['task_status']> = { active: 'active', completed: 'completed', failed: 'failed', canceled: 'canceled' };

/**
 * Flamenco 3's TaskUpdate as ours. Its log lines (`pid=N > …`, `going to run: …`) carry no time,
 * while Flamenco Worker 2.5 writes `<time>: ` before each: they are stamped on arrival, so that
 * the logs of both generations read alike. Steps go to core, which counts them against the task's.
 */
export function fromV3Update(body: unknown, now: number): TaskUpdate {
  const b = object(body);
  const u: Record<string, unknown> = {};
  if (given(b.taskStatus)) {
    const s = string(b.taskStatus, 'taskStatus');
    const ours = REPORTED[s];
    if (!ours) throw new ValidationError(`taskStatus: a worker may report active, completed, failed or canceled, not "${s}"`);
    u.task_status = ours;
  }
  u.activity = optionalString(b.activity, 'activity');
  const log = optionalString(b.log, 'log');
  if (log) u.log = stampLines(log, isoTime(now));
  const update = parseTaskUpdate(u);
  if (given(b.steps_completed)) update.steps_completed = finiteNumber(b.steps_completed, 'steps_completed');
  return update;
}

/** Puts `<time>: ` before every line of a log chunk. */
export function stampLines(log: string, time: string): string {
  const lines = log.endsWith('\n') ? log.slice(0, -1).split('\n') : log.split('\n');
  return lines.map((l) => `${time}: ${l}`).join('\n') + '\n';
}

function taskId(ctx: RequestCtx): string {
  const id = ctx.params.task;
  if (!isId(id)) throw new NotFoundError(`Task ${id} is unknown.`);
  return id;
}

export function v3WorkerRoutes(m: Manager): Route[] {
  const pacer: UploadPacer = uploadPacer(m.clock);

  const { guard: authGuard, workerOf, handler } = workerAuth(m, () => new LoginRefused({ refused: 'unknown' }));
  const asWorker = <R>(fn: (w: WorkerRecord, ctx: RequestCtx) => R) => handler(fn);
  /** Also wakes the worker (unless testing): the requests that mean it is at work. */
  const asWakingWorker = <R>(fn: (w: WorkerRecord, ctx: RequestCtx) => R) => handler(fn, { wake: true });

  /**
   * Flamenco 3 workers send no registration token. With a registration secret they may register
   * only from f3_worker_networks; without one, from anywhere (limited per address, as v2's open
   * registration).
   */
  function registrationGuard(req: IncomingMessage): void {
    if (!m.config.registration_secret) return;
    const address = callerOf(req).address;
    if (isTrusted(address, m.config.f3_worker_networks)) return;
    m.log.warn('Flamenco 3 worker registration refused: address not in f3_worker_networks', { address });
    throw new ForbiddenError(
      `this manager requires a registration secret, which Flamenco 3 workers cannot send; to let them register from ${address || 'this address'}, add its network to "f3_worker_networks" in the manager's config`,
    );
  }

  async function register(ctx: RequestCtx): Promise<Reply> {
    const b = jsonObject(ctx.body);
    const announced = stringList(b.supported_task_types ?? [], 'supported_task_types');
    const registration = {
      secret: string(b.secret, 'secret'),
      platform: string(b.platform, 'platform', { nonEmpty: true }),
      nickname: string(b.name, 'name', { nonEmpty: true }),
      // Kept as announced (blender, ffmpeg, …): dispatch knows which of our task types they cover.
      supported_task_types: announced,
      generation: 'v3' as const,
    };
    // No token proves anything here, so the per-address limit always applies.
    const w = await m.workers.register(registration, callerOf(ctx.req), { open: true });
    return json({
      uuid: w.id,
      name: w.nickname,
      address: w.address,
      // Not signed on yet; Flamenco 3 has no word for that, and "" is not one of its statuses.
      status: 'offline',
      platform: w.platform,
      software: w.software,
      supported_task_types: announced,
    });
  }

  const routes: V3Route[] = [
    { methods: ['POST'], path: '/register-worker', bodyLimit: SELF_DESCRIPTION_BODY_LIMIT, handler: register },
    {
      methods: ['POST'],
      path: '/sign-on',
      bodyLimit: SELF_DESCRIPTION_BODY_LIMIT,
      handler: (ctx) => {
        const w = workerOf(ctx.req);
        const b = jsonObject(ctx.body);
        const announced = given(b.supported_task_types) ? stringList(b.supported_task_types, 'supported_task_types') : undefined;
        const body = {
          supported_task_types: announced,
          nickname: optionalString(b.name, 'name'),
          can_restart: given(b.can_restart) ? b.can_restart === true : false,
        };
        // Its User-Agent (`Flamenco/3.9 (abc123)`) is the software recorded, as for every worker: it
        // says the generation and the version the worker also sends as software_version.
        optionalString(b.software_version, 'software_version');
        m.batch.run(() => m.workers.signOn(w, body, callerOf(ctx.req)));
        return json({ status_requested: v3Status(m.workers.startingStatus(w.id)) });
      },
    },
    {
      methods: ['POST'],
      path: '/sign-off',
      handler: asWorker((w, ctx) => {
        m.workers.signOff(w, { ...callerOf(ctx.req), software: w.software });
        return noContent;
      }),
    },
    {
      methods: ['GET'],
      path: '/state',
      handler: asWorker((w) => (w.status_requested ? json({ status_requested: v3Status(w.status_requested) }) : noContent)),
    },
    {
      methods: ['POST'],
      path: '/state-changed',
      bodyLimit: SELF_DESCRIPTION_BODY_LIMIT,
      handler: asWorker((w, ctx) => {
        const b = jsonObject(ctx.body);
        m.workers.stateChanged(w, string(b.status, 'status'));
        return noContent;
      }),
    },
    {
      methods: ['POST'],
      path: '/task',
      handler: asWakingWorker((w) => {
        const r = m.scheduler.claim(w);
        switch (r.kind) {
          case 'status-change':
            return json({ status_requested: v3Status(r.status) }, 423);
          case 'no-task-types':
            throw new NotAcceptableError('none of the task types you announced has work here (blender, ffmpeg, file-management, misc do)');
          case 'none':
            return noContent;
          case 'task': {
            const doc = m.documents.forV3Worker(r.task, w);
            if (doc.ok) return json(doc.task);
            // Marked translatable at submission, but a variable's value for this worker's platform
            // breaks the translation: a failure of this worker, so the task goes to another one.
            m.reports.failedAtHandOut(w, r.task.id, `cannot be written for a Flamenco 3 worker on ${w.platform}: ${doc.reason}`);
            return noContent;
          }
        }
      }),
    },
    {
      methods: ['POST'],
      path: '/task/:task',
      bodyLimit: TASK_UPDATE_BODY_LIMIT,
      handler: asWorker((w, ctx) => {
        // A Flamenco 3 worker sends again what it could not see acknowledged: an update for a task
        // that no longer runs on it is a conflict and changes nothing.
        const update = parsedOrRefused(() => fromV3Update(parseJson(ctx.body), m.clock.now()));
        const applied = m.reports.update(w, taskId(ctx), update, true);
        return { ...noContent, wait: applied };
      }),
    },
    {
      methods: ['GET'],
      path: '/task/:task/may-i-run',
      handler: asWakingWorker((w, ctx) => {
        // Any id: an unknown task is a "no" (an error would mean "yes" to the worker).
        const id = ctx.params.task ?? '';
        // On a "no" the worker kills the task and says nothing more about it.
        const r = m.reports.mayIRunElseStopped(w, id);
        const statusChange = !r.may_keep_running && r.status_requested !== undefined && r.status_requested !== 'awake';
        return json({ mayKeepRunning: r.may_keep_running, reason: r.reason ?? '', statusChangeRequested: statusChange });
      }),
    },
    {
      methods: ['POST'],
      path: '/task/:task/output-produced',
      bodyLimit: IMAGE_MAX_BYTES,
      imageUpload: true,
      handler: asWorker(async (w, ctx) => {
        const id = taskId(ctx);
        const jobId = m.reports.uploadTarget(w, id);
        if (imageType(ctx.body) === undefined) throw new UnsupportedMediaTypeError('the body is not a JPEG or PNG image');
        // What the job's last output then says: no path, since the image came as bytes.
        const label = `image of task ${id} sent by ${w.nickname} at ${isoTime(m.clock.now())}`;
        await m.observe.lastRendered.storeUpload(jobId, label, ctx.body);
        m.batch.run(() => m.reports.outputStored(jobId, label));
        return { status: 202 };
      }),
    },
  ];

  return v3Refusals(
    routes.map((r) => {
      const known = r.path === '/register-worker' ? registrationGuard : authGuard;
      // No worker is a web browser (access.ts): refused before anything else, as on Flamenco
      // Worker 2.x's protocol, so that no page can register a worker through a browser.
      const auth = (req: IncomingMessage) => {
        refuseBrowsers(req);
        return known(req);
      };
      // An image's headers are checked before its bytes are read, and only once the worker is known.
      const guard = r.imageUpload
        ? async (req: IncomingMessage) => {
            await auth(req);
            checkImageHeaders(req);
            pacer.admit(workerOf(req).id, req);
          }
        : auth;
      return { ...r, path: V3_WORKER_PREFIX + r.path, guard };
    }),
  );
}
