// The admin HTTP API under /api/: the same core calls and JSON shapes as the CLI's --json.
import type { Manager } from '../core/manager';
import { ValidationError } from '../core/support/errors';
import { jobTypesDocument } from '../core/jobs/compilers/index';
import { anonymousReader, requireReader } from './access';
import { type Listing, parseLimit, parseOffset, parseScope, readerLimit } from '../core/listing';
import { parseAge, parsePrunableStatuses, PRUNABLE } from '../core/lifecycle/retention';
import { serveLog } from './admin-routes';
import type { AdminAuth } from './admin-auth';
import { listed, runsOf, serveRun } from './api-helpers';
import { atParam, SharedReads } from './shared-reads';
import { TurnGate } from './turns';
import { COMMIT, VERSION } from '../version';
import { json, noContent, type Reply } from './reply';
import type { RequestCtx, Route } from './server';
import { jsonObject, parseJson } from './body';
import { type Fields, optionalBoolean as optionalBool, optionalString, stringList } from '../core/support/validate';

/** Job documents can list many tasks. */
const JOB_BODY_LIMIT = 64 * 1024 * 1024;

function bodyObject(ctx: RequestCtx, optional = false): Fields {
  return jsonObject(ctx.body, optional);
}

export function apiRoutes(m: Manager, auth: AdminAuth): Route[] {
  // Reads without the token take turns with each other (turns.ts): they never hold up workers.
  const turns = new TurnGate();
  const route = (methods: string[], path: string, fn: (ctx: RequestCtx) => Reply | Promise<Reply>, bodyLimit?: number): Route => {
    const reads = methods.every((x) => x === 'GET');
    return {
      methods,
      path: `/api${path}`,
      bodyLimit,
      // Reading is open to trusted_networks (the read-only dashboard); changing needs the token.
      guard: reads ? (req) => requireReader(req, m.config.trusted_networks, auth) : (req) => auth.require(req),
      handler: reads
        ? async (ctx) => {
            if (anonymousReader(ctx.req, m.config.trusted_networks)) await turns.turn();
            return fn(ctx);
          }
        : fn,
    };
  };
  // Task logs hold paths, command lines and whatever the programs print: reading one needs the
  // token from anywhere, and the tail of the log that task views carry is left out without it.
  const adminRead = (path: string, fn: (ctx: RequestCtx) => Reply | Promise<Reply>): Route => ({ ...route(['GET'], path, fn), guard: (req) => auth.require(req) });
  const withoutLog = <T extends { log_tail?: string }>(ctx: RequestCtx, t: T): T => {
    if (!anonymousReader(ctx.req, m.config.trusted_networks)) return t;
    const { log_tail: _, ...rest } = t;
    return rest as T;
  };
  const q = (ctx: RequestCtx, name: string) => ctx.url.searchParams.get(name) ?? undefined;
  // A reader without the token (the guard let it in) gets a bounded number of rows.
  const limit = (ctx: RequestCtx) => readerLimit(parseLimit(q(ctx, 'limit')), anonymousReader(ctx.req, m.config.trusted_networks));
  const listing = (ctx: RequestCtx): Listing => ({ scope: parseScope(q(ctx, 'scope')), limit: limit(ctx) });
  // Wherever a route takes an id it also takes a name or a unique id prefix, as the CLI does.
  const jobId = (ctx: RequestCtx) => m.names.job(ctx.params.id!);
  const taskId = (ctx: RequestCtx) => m.names.task(ctx.params.id!);
  const workerId = (ctx: RequestCtx) => m.names.worker(ctx.params.id!);
  const ref = (value: string | undefined, resolve: (r: string) => string) => (value === undefined ? undefined : resolve(value));
  const shared = new SharedReads();

  return [
    route(['GET'], '/queue-status', (ctx) =>
      listed(
        m.queue.listed(
          ref(q(ctx, 'job'), (r) => m.names.job(r)),
          listing(ctx),
        ),
        'status',
      ),
    ),
    // Lets a remote CLI refuse to talk to a manager of another version.
    route(['GET'], '/version', () => json({ version: VERSION, commit: COMMIT })),
    // The same document as `flamenco-mgr job-types --json`.
    route(['GET'], '/job-types', () => json(jobTypesDocument())),

    // jobs
    route(['GET'], '/jobs', (ctx) => {
      const rows = listing(ctx);
      const read = () => m.readModels.jobList(q(ctx, 'status'), rows);
      const at = atParam(ctx.url.searchParams.get('at'));
      if (at === undefined) return listed(read(), 'jobs');
      const query = new URLSearchParams(ctx.url.searchParams);
      query.delete('at');
      // The rows actually read: a reader without the token is capped, one with it may not be.
      query.set('limit', String(rows.limit ?? 'all'));
      query.sort();
      return listed(shared.read(`jobs?${query}`, at, m.observe.feed.position(), read) as ReturnType<typeof read>, 'jobs');
    }),
    route(['POST'], '/jobs', (ctx) => json(m.jobs.submit(parseJson(ctx.body), { address: ctx.req.socket.remoteAddress ?? '' }, 'admin'), 201), JOB_BODY_LIMIT),
    route(['GET'], '/jobs/:id', (ctx) => {
      const sel = { status: q(ctx, 'task_status'), limit: limit(ctx), offset: parseOffset(q(ctx, 'offset')) };
      const { job, omitted } = m.readModels.jobDetail(jobId(ctx), sel);
      return listed({ job: { ...job, task_list: job.task_list.map((t) => withoutLog(ctx, t)) }, omitted }, 'job');
    }),
    route(['DELETE'], '/jobs/:id', (ctx) => {
      m.jobActions.delete(jobId(ctx));
      return noContent;
    }),
    route(['POST'], '/jobs/:id/cancel', (ctx) => json(m.readModels.jobSummary(m.jobActions.cancel(jobId(ctx)).id))),
    route(['POST'], '/jobs/:id/pause', (ctx) => json(m.readModels.jobSummary(m.jobActions.pause(jobId(ctx)).id))),
    route(['POST'], '/jobs/:id/resume', (ctx) => json(m.readModels.jobSummary(m.jobActions.resume(jobId(ctx)).id))),
    route(['POST'], '/jobs/:id/requeue', (ctx) => {
      const b = bodyObject(ctx, true);
      return json({ requeued: m.queue.requeueJob(jobId(ctx), optionalBool(b.failed_only, 'failed_only')) });
    }),
    route(['POST', 'PUT'], '/jobs/:id/priority', (ctx) => {
      const b = bodyObject(ctx);
      return json(m.readModels.jobSummary(m.jobActions.setPriority(jobId(ctx), b.priority).id));
    }),

    route(['POST'], '/prune-jobs', (ctx) => {
      const b = bodyObject(ctx);
      const olderThan = optionalString(b.older_than, 'older_than');
      if (!olderThan) throw new ValidationError('older_than: required, a duration such as "30d"');
      const age = parseAge(olderThan, 'older_than');
      return json(m.retention.prune(age, b.status === undefined ? PRUNABLE : parsePrunableStatuses(stringList(b.status, 'status'))));
    }),

    // tasks
    route(['GET'], '/tasks/:id', async (ctx) => {
      // The task with every run; its log writes land first, so each run finds its log.
      const t = m.readModels.task(taskId(ctx));
      await m.taskLogs.flushed(t.job, t.id);
      return json(withoutLog(ctx, m.readModels.taskDetail(t.id)));
    }),
    route(['POST'], '/tasks/:id/requeue', (ctx) => json({ requeued: m.queue.requeueTasks([taskId(ctx)]) })),
    route(['POST'], '/requeue-tasks', (ctx) => {
      const b = bodyObject(ctx);
      return json({ requeued: m.queue.requeueTasks(stringList(b.tasks, 'tasks').map((t) => m.names.task(t))) });
    }),
    adminRead('/tasks/:id/log', (ctx) => {
      const t = m.readModels.task(taskId(ctx));
      const run = q(ctx, 'run');
      return run === undefined ? serveLog(m, ctx, t.job, t.id) : serveRun(m, t, run, q(ctx, 'tail'));
    }),
    route(['GET'], '/tasks/:id/runs', async (ctx) => json(await runsOf(m, m.readModels.task(taskId(ctx))))),

    // workers
    // Open registration lets anyone add workers (20 a minute per address, each up to ~5 KB of
    // self-description): the list is capped for a reader without the token like the job listings.
    route(['GET'], '/workers', (ctx) => listed(m.readModels.workerList(limit(ctx)), 'workers')),
    route(['GET'], '/workers/:id', (ctx) => json(m.readModels.worker(workerId(ctx)))),
    route(['DELETE'], '/workers/:id', (ctx) => json({ requeued: m.workers.forget(workerId(ctx)) })),
    route(['POST'], '/workers/:id/status', (ctx) => {
      const b = bodyObject(ctx);
      const status = optionalString(b.status, 'status');
      if (!status) throw new ValidationError('status: required (awake, asleep, shutdown or restart)');
      const w = m.workers.requestStatus(workerId(ctx), status, { lazy: optionalBool(b.lazy, 'lazy') });
      return json(m.readModels.worker(w.id));
    }),
    route(['GET'], '/workers/:id/tags', (ctx) => json(m.workerTags.get(workerId(ctx)))),
    route(['PUT'], '/workers/:id/tags', (ctx) => {
      const tags = bodyObject(ctx).tags;
      if (!Array.isArray(tags)) throw new ValidationError('tags: required, a list of tags (empty to clear)');
      return json(m.workerTags.change(workerId(ctx), { set: tags }));
    }),
    route(['DELETE'], '/workers/:id/tags', (ctx) => json(m.workerTags.change(workerId(ctx), { clear: true }))),
    route(['PUT'], '/workers/:id/tags/:tag', (ctx) => json(m.workerTags.change(workerId(ctx), { add: ctx.params.tag }))),
    route(['DELETE'], '/workers/:id/tags/:tag', (ctx) => json(m.workerTags.change(workerId(ctx), { remove: ctx.params.tag }))),
    route(['POST'], '/workers/:id/requeue', (ctx) => json({ requeued: m.queue.requeueWorker(workerId(ctx)) })),
    route(['GET'], '/sleep-schedules', () => json(m.sleepSchedules.list())),
    route(['GET'], '/workers/:id/sleep-schedule', (ctx) => {
      const id = m.readModels.worker(workerId(ctx)).id;
      return json(m.sleepSchedules.get(id) ?? null);
    }),
    route(['PUT'], '/workers/:id/sleep-schedule', (ctx) => {
      const b = bodyObject(ctx);
      const days = optionalString(b.days, 'days') ?? '';
      const start = optionalString(b.start, 'start');
      const end = optionalString(b.end, 'end');
      if (!start || !end) throw new ValidationError('start and end: required, as HH:MM');
      return json(m.sleepSchedules.set(workerId(ctx), days, start, end));
    }),
    route(['DELETE'], '/workers/:id/sleep-schedule', (ctx) => {
      m.sleepSchedules.off(workerId(ctx));
      return noContent;
    }),

    // blocklist
    // Workers anyone may register can fail tasks into it (workers × jobs × task types): capped like the listings.
    route(['GET'], '/blocklist', (ctx) =>
      listed(
        m.blocklist.listed(
          ref(q(ctx, 'job'), (r) => m.names.job(r)),
          limit(ctx),
        ),
        'blocklist',
      ),
    ),
    route(['DELETE'], '/blocklist', (ctx) => {
      const job = q(ctx, 'job');
      if (!job) throw new ValidationError('job: required query parameter');
      return json({ removed: m.blocklist.clear({ job: m.names.job(job), worker: ref(q(ctx, 'worker'), (r) => m.names.worker(r)), task_type: q(ctx, 'task_type') }) });
    }),
  ];
}
