// The admin HTTP API under /api/: the same core calls and JSON shapes as the CLI's --json.
import type { Manager } from '../core/manager';
import { ValidationError } from '../core/support/errors';
import { jobTypesDocument } from '../core/jobs/compilers/index';
import { requireReader } from './access';
import { type Listing, parseLimit, parseScope } from '../core/listing';
import { parseAge, parsePrunableStatuses, PRUNABLE } from '../core/lifecycle/retention';
import { requireAdmin, serveLog } from './admin-routes';
import { json, noContent, type Reply } from './reply';
import type { RequestCtx, Route } from './server';
import { jsonObject, parseJson } from './body';
import { type Fields, optionalBoolean as optionalBool, optionalString } from '../core/support/validate';

/** Job documents can list many tasks. */
const JOB_BODY_LIMIT = 64 * 1024 * 1024;

function bodyObject(ctx: RequestCtx, optional = false): Fields {
  return jsonObject(ctx.body, optional);
}

export function apiRoutes(m: Manager, token: string): Route[] {
  const route = (methods: string[], path: string, fn: (ctx: RequestCtx) => Reply | Promise<Reply>, bodyLimit?: number): Route => ({
    methods,
    path: `/api${path}`,
    bodyLimit,
    // Reading is open to trusted_networks (the read-only dashboard); changing needs the token.
    guard: methods.every((x) => x === 'GET') ? (req) => requireReader(req, m.config.trusted_networks, token) : (req) => requireAdmin(req, token),
    handler: fn,
  });
  const q = (ctx: RequestCtx, name: string) => ctx.url.searchParams.get(name) ?? undefined;
  const listing = (ctx: RequestCtx): Listing => ({ scope: parseScope(q(ctx, 'scope')), limit: parseLimit(q(ctx, 'limit')) });

  return [
    route(['GET'], '/queue-status', (ctx) => json(m.queue.listed(q(ctx, 'job'), listing(ctx)).status)),
    // The same document as `flamenco-mgr job-types --json`.
    route(['GET'], '/job-types', () => json(jobTypesDocument())),

    // jobs
    route(['GET'], '/jobs', (ctx) => json(m.views.jobs(q(ctx, 'status'), listing(ctx)))),
    route(['POST'], '/jobs', (ctx) => json(m.stuck.submitted(m.jobs.submit(parseJson(ctx.body), { address: ctx.req.socket.remoteAddress ?? '' })), 201), JOB_BODY_LIMIT),
    route(['GET'], '/jobs/:id', (ctx) => json(m.views.job(ctx.params.id!, { status: q(ctx, 'task_status'), limit: parseLimit(q(ctx, 'limit')) }))),
    route(['DELETE'], '/jobs/:id', (ctx) => {
      m.jobActions.delete(ctx.params.id!);
      return noContent;
    }),
    route(['POST'], '/jobs/:id/cancel', (ctx) => json(m.views.jobSummary(m.jobActions.cancel(ctx.params.id!).id))),
    route(['POST'], '/jobs/:id/pause', (ctx) => json(m.views.jobSummary(m.jobActions.pause(ctx.params.id!).id))),
    route(['POST'], '/jobs/:id/resume', (ctx) => json(m.views.jobSummary(m.jobActions.resume(ctx.params.id!).id))),
    route(['POST'], '/jobs/:id/requeue', (ctx) => {
      const b = bodyObject(ctx, true);
      return json({ requeued: m.queue.requeueJob(ctx.params.id!, optionalBool(b.failed_only, 'failed_only')) });
    }),
    route(['POST', 'PUT'], '/jobs/:id/priority', (ctx) => {
      const b = bodyObject(ctx);
      return json(m.views.jobSummary(m.jobActions.setPriority(ctx.params.id!, b.priority).id));
    }),

    route(['POST'], '/prune-jobs', (ctx) => {
      const b = bodyObject(ctx);
      const olderThan = optionalString(b.older_than, 'older_than');
      if (!olderThan) throw new ValidationError('older_than: required, a duration such as "30d"');
      const age = parseAge(olderThan, 'older_than');
      if (b.status !== undefined && !(Array.isArray(b.status) && b.status.every((s) => typeof s === 'string'))) {
        throw new ValidationError('status: must be a list of finished job statuses');
      }
      return json(m.retention.prune(age, b.status === undefined ? PRUNABLE : parsePrunableStatuses(b.status as string[])));
    }),

    // tasks
    route(['GET'], '/tasks/:id', (ctx) => json(m.views.task(ctx.params.id!))),
    route(['POST'], '/tasks/:id/requeue', (ctx) => json({ requeued: m.queue.requeueTasks([ctx.params.id!]) })),
    route(['GET'], '/tasks/:id/log', (ctx) => {
      const t = m.views.task(ctx.params.id!);
      return serveLog(m, ctx, t.job, t.id);
    }),

    // workers
    route(['GET'], '/workers', () => json(m.views.workers())),
    route(['GET'], '/workers/:id', (ctx) => json(m.views.worker(ctx.params.id!))),
    route(['DELETE'], '/workers/:id', (ctx) => json({ requeued: m.workers.forget(ctx.params.id!) })),
    route(['POST'], '/workers/:id/status', (ctx) => {
      const b = bodyObject(ctx);
      const status = optionalString(b.status, 'status');
      if (!status) throw new ValidationError('status: required (awake, asleep or shutdown)');
      m.workers.requestStatus(ctx.params.id!, status, optionalBool(b.lazy, 'lazy'));
      return json(m.views.worker(ctx.params.id!));
    }),
    route(['GET'], '/workers/:id/tags', (ctx) => json(m.workerTags.get(ctx.params.id!))),
    route(['PUT'], '/workers/:id/tags', (ctx) => {
      const tags = bodyObject(ctx).tags;
      if (!Array.isArray(tags)) throw new ValidationError('tags: required, a list of tags (empty to clear)');
      return json(m.workerTags.change(ctx.params.id!, { set: tags }));
    }),
    route(['DELETE'], '/workers/:id/tags', (ctx) => json(m.workerTags.change(ctx.params.id!, { clear: true }))),
    route(['PUT'], '/workers/:id/tags/:tag', (ctx) => json(m.workerTags.change(ctx.params.id!, { add: ctx.params.tag }))),
    route(['DELETE'], '/workers/:id/tags/:tag', (ctx) => json(m.workerTags.change(ctx.params.id!, { remove: ctx.params.tag }))),
    route(['POST'], '/workers/:id/requeue', (ctx) => json({ requeued: m.queue.requeueWorker(ctx.params.id!) })),
    route(['GET'], '/workers/:id/sleep-schedule', (ctx) => {
      m.views.worker(ctx.params.id!);
      return json(m.sleepSchedules.get(ctx.params.id!) ?? null);
    }),
    route(['PUT'], '/workers/:id/sleep-schedule', (ctx) => {
      const b = bodyObject(ctx);
      const days = optionalString(b.days, 'days') ?? '';
      const start = optionalString(b.start, 'start');
      const end = optionalString(b.end, 'end');
      if (!start || !end) throw new ValidationError('start and end: required, as HH:MM');
      return json(m.sleepSchedules.set(ctx.params.id!, days, start, end));
    }),
    route(['DELETE'], '/workers/:id/sleep-schedule', (ctx) => {
      m.sleepSchedules.off(ctx.params.id!);
      return noContent;
    }),

    // blocklist
    route(['GET'], '/blocklist', (ctx) => json(m.blocklist.list(q(ctx, 'job')))),
    route(['DELETE'], '/blocklist', (ctx) => {
      const job = q(ctx, 'job');
      if (!job) throw new ValidationError('job: required query parameter');
      return json({ removed: m.blocklist.clear({ job, worker: q(ctx, 'worker'), task_type: q(ctx, 'task_type') }) });
    }),
  ];
}
