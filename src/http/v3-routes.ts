// The routes the Flamenco 3 Blender add-on calls, under /api/v3, with the shapes of Flamenco 3's
// OpenAPI description: refresh (version, shared storage, job types, worker tags), then check and
// submit a job. The add-on sends no credentials, so only requests from `trusted_networks` are
// served; errors have Flamenco 3's body {code, message}.
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { addonJobTypeNamed, addonJobTypes, fromAddonSubmission } from '../core/jobs/addon';
import type { Manager } from '../core/manager';
import { ForbiddenError, NotFoundError, ValidationError } from '../core/support/errors';
import { isTrusted } from '../core/support/networks';
import { platformName } from '../core/support/validate';
import type { JobStatus } from '../core/support/statuses';
import type { JobView } from '../core/read-models';
import { COMMIT, VERSION } from '../version';
import { refuseCrossSite } from './access';
import { json, noContent, type Reply } from './reply';
import type { RequestCtx, Route } from './server';
import { parseJson } from './body';

/** `Flamenco/3.9-beta1 (Blender add-on)`: the add-on's version. Bounded, so it can be echoed. */
const ADDON_USER_AGENT = /^Flamenco\/([0-9][0-9A-Za-z.+-]{0,31}) \(Blender add-on\)/;

/** Flamenco 3's JobStatus values; the add-on refuses a job whose status is not one of them. */
type F3JobStatus = 'active' | 'canceled' | 'completed' | 'failed' | 'paused' | 'pause-requested' | 'queued' | 'cancel-requested' | 'requeueing' | 'under-construction';

/** Each of our job statuses is one of Flamenco 3's and is sent as it is; a new one it lacks stops the build here. */
const f3JobStatus = (s: JobStatus): F3JobStatus => s;

/** Our error body {error: {code, message}} as Flamenco 3's {code: <status>, message}. */
export function f3ErrorShape(reply: Reply): Reply {
  const body = reply.body as { error?: { message?: unknown } } | undefined;
  if (typeof body?.error?.message !== 'string') return reply;
  return { ...reply, body: { code: reply.status, message: body.error.message } };
}

function userAgent(req: IncomingMessage): string {
  return (req.headers['user-agent'] ?? '').slice(0, 200);
}

/** Flamenco 3's Job: the submitted fields plus id, times, status and progress. */
function f3Job(j: JobView & { settings: Record<string, unknown> }): Record<string, unknown> {
  const steps = Object.values(j.tasks).reduce((a, b) => a + b, 0);
  return {
    id: j.id,
    name: j.name,
    type: j.job_type,
    priority: j.priority,
    settings: j.settings,
    metadata: j.metadata,
    // Required by the add-on; "manager" is Flamenco 3's word for "the manager's own platform".
    submitter_platform: j.submitter_platform ?? 'manager',
    ...(j.tag ? { worker_tag: j.tag } : {}),
    created: j.created,
    updated: j.updated,
    status: f3JobStatus(j.status as JobStatus),
    activity: j.activity,
    steps_completed: j.tasks.completed ?? 0,
    steps_total: steps,
  };
}

export function v3Routes(m: Manager): Route[] {
  const guard = (req: IncomingMessage) => {
    const address = req.socket.remoteAddress;
    if (isTrusted(address, m.config.trusted_networks)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') refuseCrossSite(req);
      return;
    }
    m.refusals.refused('add-on request refused: untrusted address', address ?? '', { path: (req.url ?? '').slice(0, 200) });
    throw new ForbiddenError(
      `requests from ${address ?? 'an unknown address'} may not submit jobs; to allow them, add their network to "trusted_networks" in the manager's config`,
    );
  };
  const route = (methods: string[], p: string, handler: (ctx: RequestCtx) => Reply | Promise<Reply>): Route => ({
    methods,
    path: `/api/v3${p}`,
    guard,
    handler,
    errorShape: f3ErrorShape,
  });

  /**
   * Runs `then` on the submission once its shape and the job type's etag (a stale one is a 412)
   * are checked; refusals are logged with the submitter's address, like submissions.
   */
  const withSubmission = (ctx: RequestCtx, then: (doc: Record<string, unknown>, address: string) => Reply): Reply => {
    const address = ctx.req.socket.remoteAddress ?? '';
    try {
      return then(fromAddonSubmission(parseJson(ctx.body)).doc, address);
    } catch (err) {
      m.refusals.refused('add-on job refused', address, { reason: err instanceof Error ? err.message.slice(0, 300) : String(err) }, 'info');
      throw err;
    }
  };

  /** Counts a request that compiles a job, before its body is parsed: a flood costs a map lookup each. */
  const limited = (ctx: RequestCtx): void => {
    const address = ctx.req.socket.remoteAddress ?? '';
    try {
      m.submissionLimits.take(address);
    } catch (err) {
      m.refusals.refused('add-on submission refused: rate limit', address);
      throw err;
    }
  };

  return [
    route(['GET'], '/version', (ctx) => {
      const own = ADDON_USER_AGENT.exec(userAgent(ctx.req))?.[1];
      // The add-on asks the artist to "force" every submission unless the versions are equal.
      const short = m.config.addon_version ?? own ?? VERSION;
      return json({ version: `${short} (flamenco-mgr ${VERSION})`, shortversion: short, name: 'flamenco-mgr', git: COMMIT });
    }),

    route(['GET'], '/configuration/shared-storage/:audience/:platform', (ctx) => {
      const { audience, platform } = ctx.params as { audience: string; platform: string };
      if (audience !== 'users' && audience !== 'workers') throw new ValidationError(`audience: "${audience}" is neither "users" nor "workers"`);
      platformName(platform, 'platform');
      // Without shared_storage only a Blender on this machine can reach the folder.
      const location = m.config.shared_storage ?? path.resolve(m.dataDir, 'shared-storage');
      return json({ location: m.variables.pathFor(location, platform, audience), audience, platform, shamanEnabled: false });
    }),

    route(['GET'], '/jobs/types', () => json({ job_types: addonJobTypes() })),
    route(['GET'], '/jobs/type/:name', (ctx) => {
      const t = addonJobTypeNamed(ctx.params.name!);
      if (!t) throw new NotFoundError(`no job type "${ctx.params.name}" is offered to Blender`);
      return json(t);
    }),

    route(['GET'], '/worker-mgt/tags', () => json({ tags: m.workerTags.inUse().map((t) => ({ id: t, name: t })) })),

    route(['POST'], '/jobs/check', (ctx) => {
      limited(ctx);
      return withSubmission(ctx, (doc) => {
        m.jobs.check(doc, 'trusted-network');
        return noContent;
      });
    }),
    route(['POST'], '/jobs', (ctx) => {
      limited(ctx);
      return withSubmission(ctx, (doc, address) => {
        const { id } = m.jobs.submit(doc, { via: 'blender-addon', address, user_agent: userAgent(ctx.req) }, 'trusted-network');
        return json(f3Job(m.readModels.jobWithSettings(id)));
      });
    }),
    route(['GET'], '/jobs/:id', (ctx) => json(f3Job(m.readModels.jobWithSettings(ctx.params.id!)))),
  ];
}
