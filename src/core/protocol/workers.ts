// Worker lifecycle: registration, authentication, sign-on/off, being seen, status requests.
import type { Caller, WorkerRecord } from '../../db/workers-repo';
import type { Generation } from '../support/generations';
import type { Clock } from '../support/clock';
import { isoTime } from '../support/clock';
import { BusyError, ConflictError, NotFoundError, RateLimitedError, ValidationError } from '../support/errors';
import { type IdGenerator, isId } from '../support/ids';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import { hashSecret, needsRehash, UNMATCHABLE_HASH, VerifiedSecretCache, verifySecret } from './secrets';
import { type LoginRefusal, LoginLimits, WindowCounter } from './login-limits';
import { checkWorkerFields, REGISTRATION_WINDOW_MS, REGISTRATIONS_PER_ADDRESS } from './registration-limits';
import type { StateMachine } from '../lifecycle/state';
import { logTakenAway } from '../lifecycle/run-ends';
import type { TaskLogs } from './task-logs';
import { limitKey } from '../support/networks';
import { isOneOf, REQUESTABLE_STATUSES, type RequestableStatus, WORKER_STATUSES } from '../support/statuses';
import { Cadences } from '../support/silence';
import { identifier } from '../names';

/**
 * How stale `last_seen` in the database may get before a request writes it again. An idle
 * Flamenco Worker asks for a task every 5 s: a farm of 10 000 idle workers would otherwise write
 * 2 000 worker rows a second. serve remembers the exact time in memory, and the timeout checker
 * asks that memory before it times a worker out, so timeouts are exact; only `list-workers` and
 * the API may show a time up to this much older.
 */
export const SEEN_WRITE_INTERVAL_MS = 15_000;

export interface Registration {
  secret: string;
  platform: string;
  supported_task_types: string[];
  nickname: string;
  /** Which worker registers; default v2 (Flamenco Worker 2.5). */
  generation?: Generation;
}

export type { Caller, WorkerRecord };

/** The outcome of checking a worker's credentials. */
export type Login = { worker: WorkerRecord } | LoginRefusal;

/** The Worker document of the protocol. */
export function workerDocument(w: WorkerRecord): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    _id: w.id,
    nickname: w.nickname,
    address: w.address,
    status: w.status,
    platform: w.platform,
    supported_task_types: w.supported_task_types,
    software: w.software,
    last_activity: isoTime(w.last_seen),
    status_requested: w.status_requested,
    lazy_status_request: w.lazy_status_request,
  };
  if (w.current_task) doc.current_task = w.current_task;
  return doc;
}

/** A just-registered worker: no status until it signs on, nothing requested, no task. */
export function newWorkerRecord(init: {
  id: string;
  secret_hash: string;
  nickname: string;
  platform: string;
  supported_task_types: string[];
  tags?: string[];
  caller: Caller;
  now: number;
  /** Default 'v2': Flamenco Worker 2.5. */
  generation?: Generation;
}): WorkerRecord {
  return {
    id: init.id,
    secret_hash: init.secret_hash,
    nickname: init.nickname,
    address: init.caller.address,
    platform: init.platform,
    software: init.caller.software,
    supported_task_types: unique(init.supported_task_types),
    tags: init.tags ?? [],
    status: '',
    status_requested: '',
    lazy_status_request: false,
    current_task: null,
    resume_task: null,
    current_task_status: null,
    current_task_updated: null,
    created: init.now,
    last_seen: init.now,
    generation: init.generation ?? 'v2',
    can_restart: false,
  };
}

export class WorkerService {
  private readonly verified = new VerifiedSecretCache();
  /** Bounds on what verifications, above all failed ones, may cost (see login-limits.ts). */
  readonly limits: LoginLimits;
  /** Open registrations per source address. */
  private readonly registrations: WindowCounter;
  /**
   * Verifications under way, by worker, stored hash and secret: a worker that times out and asks
   * again while its first request still waits for the thread pool (after a restart, every worker
   * at once) joins the first verification instead of queueing a second one.
   */
  private readonly verifying = new Map<string, Promise<boolean | LoginRefusal>>();
  /** When this process last heard from each worker (the database's last_seen may lag behind). */
  private readonly heard = new Map<string, number>();
  /** How often each worker speaks, from the gaps between the requests this process heard. */
  private readonly cadences = new Cadences();
  /**
   * Per worker that authenticated, its record and the database's change mark when it was read
   * outside any transaction. While the mark is the same the row is too (any write of this
   * process, even one rolled back, and any commit of another, such as the CLI's forget-worker,
   * moves it), so an idle poll on an unchanged database reads its worker from memory: reading
   * the row cost ≈ 10 µs of the ≈ 90 µs an idle poll took. One entry per known worker.
   */
  private readonly records = new Map<string, { mark: string; record: WorkerRecord }>();

  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly newId: IdGenerator,
    private readonly state: StateMachine,
    private readonly log: Logger,
    /** Where a released run's log says why it ended (see lifecycle/run-ends.ts). */
    private readonly taskLogs?: TaskLogs,
  ) {
    this.limits = new LoginLimits(clock);
    this.registrations = new WindowCounter(clock, REGISTRATIONS_PER_ADDRESS, REGISTRATION_WINDOW_MS);
  }

  /** Hashes a new secret through the verification gate, so that registrations share its bound. */
  private async hash(secret: string): Promise<string> {
    const run = this.limits.gate.run(() => hashSecret(secret), false);
    if (!run) throw new BusyError('too many secret checks under way; try again');
    return run;
  }

  /**
   * Registers a worker. `open` says anyone may register (no registration secret is configured):
   * then each source address gets a limited number of registrations per window.
   */
  async register(reg: Registration, caller: Caller, { open = false } = {}): Promise<WorkerRecord> {
    checkWorkerFields(reg);
    if (open) {
      const key = limitKey(caller.address);
      const wait = this.registrations.blockedFor(key);
      if (wait > 0) {
        throw new RateLimitedError(`at most ${REGISTRATIONS_PER_ADDRESS} registrations per address per ${REGISTRATION_WINDOW_MS / 1000} s; try again later`, wait);
      }
      this.registrations.add(key);
    }
    const secret_hash = await this.hash(reg.secret);
    const w = newWorkerRecord({
      id: this.newId(),
      secret_hash,
      nickname: reg.nickname,
      platform: reg.platform,
      supported_task_types: reg.supported_task_types,
      generation: reg.generation,
      caller,
      now: this.clock.now(),
    });
    this.repos.write(() => this.repos.workers.insert(w));
    this.verified.remember(w.id, reg.secret, secret_hash);
    this.log.info('worker registered', { worker: w.id, nickname: w.nickname, platform: w.platform, address: w.address, generation: w.generation });
    return w;
  }

  /**
   * The worker these credentials belong to, or why not. `address` is where the request came
   * from: failed checks are limited per address and per id. An unknown id is checked against a
   * hash no secret matches, so it costs and answers the same as a wrong secret.
   */
  async authenticate(id: string, secret: string, address: string): Promise<Login> {
    const w = this.current(id);
    if (w && this.verified.check(id, secret, w.secret_hash)) return { worker: w };
    const stored = w?.secret_hash ?? UNMATCHABLE_HASH;
    const ok = await this.verifyOnce(id, secret, stored, address, w?.address === address);
    if (ok !== true) return ok === false ? { refused: 'unknown' } : ok;
    if (!w) return { refused: 'unknown' };
    if (needsRehash(stored)) {
      // A hash from an older version: store it with today's parameters.
      const fresh = await this.hash(secret).catch(() => undefined);
      const current = this.repos.workers.get(id);
      if (fresh && current?.secret_hash === stored) {
        this.repos.write(() => this.repos.workers.setSecretHash(id, fresh));
        this.verified.remember(id, secret, fresh);
      }
    } else {
      this.verified.remember(id, secret, stored);
    }
    // Re-read: the worker may have changed (or been forgotten) while the hash was being checked.
    const now = this.repos.workers.get(id);
    return now ? { worker: now } : { refused: 'unknown' };
  }

  /**
   * The worker, when these are credentials this process verified against its stored hash before
   * (what authenticate answers first, without waiting): a worker's every request but its first.
   */
  knownLogin(id: string, secret: string): WorkerRecord | undefined {
    const w = this.current(id);
    return w && this.verified.check(id, secret, w.secret_hash) ? w : undefined;
  }

  /** The worker's row as it is now: from memory while the database has not changed since it was read. */
  private current(id: string): WorkerRecord | undefined {
    const mark = this.repos.changes.current();
    const kept = this.records.get(id);
    // A copy: the request's handlers update their record as they write.
    if (kept && kept.mark === mark) return { ...kept.record };
    const w = this.repos.workers.get(id);
    // Rows read inside a transaction may yet be rolled back without the mark moving.
    if (w && !this.repos.db.inTransaction) this.records.set(id, { mark, record: { ...w } });
    else this.records.delete(id);
    return w;
  }

  /** How many secret verifications are under way. */
  verificationsUnderWay(): number {
    return this.verifying.size;
  }

  private verifyOnce(id: string, secret: string, stored: string, address: string, ownAddress: boolean): Promise<boolean | LoginRefusal> {
    const key = `${id}\n${stored}\n${secret}`;
    let pending = this.verifying.get(key);
    if (!pending) {
      pending = this.limits.verify(id, address, ownAddress, () => verifySecret(secret, stored));
      this.verifying.set(key, pending);
      const done = () => this.verifying.delete(key);
      pending.then(done, done);
    }
    return pending;
  }

  /** The latest time the worker was heard from: its last_seen, or later if this process heard it since. */
  lastHeard(w: WorkerRecord): number {
    return Math.max(w.last_seen, this.heard.get(w.id) ?? 0);
  }

  /** The worker's usual gap between requests, as this process heard them; 0 while not known. */
  usualGap(w: WorkerRecord): number {
    return this.cadences.usual(w.id);
  }

  /** Whether this process heard the worker itself (lastHeard is then exact, not last_seen's lagging copy). */
  heardHere(w: WorkerRecord): boolean {
    return this.heard.has(w.id);
  }

  /**
   * Records that the worker spoke to us. `wake` also turns a worker that is not awake or testing
   * into an awake one (it is fetching tasks or running one). Updates `w` to match.
   */
  seen(w: WorkerRecord, caller: Caller, { wake = false } = {}): void {
    const now = this.clock.now();
    const before = this.heard.get(w.id);
    if (before !== undefined) this.cadences.add(w.id, now - before);
    this.heard.set(w.id, now);
    const status = wake && w.status !== 'awake' && w.status !== 'testing' ? 'awake' : w.status;
    if (status === w.status && caller.address === w.address && caller.software === w.software && now - w.last_seen < SEEN_WRITE_INTERVAL_MS) {
      return;
    }
    if (status !== w.status) this.log.info('worker status changed', { worker: w.id, from: w.status, to: status });
    this.repos.write(() => this.repos.workers.markSeen(w.id, { status, now, address: caller.address, software: caller.software }));
    Object.assign(w, { last_seen: now, address: caller.address, software: caller.software, status });
  }

  /** `can_restart`: the worker restarts when asked to (Flamenco 3 workers say so at sign-on). */
  signOn(w: WorkerRecord, body: { supported_task_types?: string[]; nickname?: string; can_restart?: boolean }, caller: Caller): void {
    checkWorkerFields(body);
    const types = body.supported_task_types && body.supported_task_types.length > 0 ? unique(body.supported_task_types) : undefined;
    const nickname = body.nickname || undefined;
    this.repos.write(() => {
      // A worker signs on when it starts: whatever it ran before is no longer running. The task
      // still active on it is the one it may get back from /task (see Scheduler.claim).
      const resume = this.repos.tasks.forWorker(w.id, 'active')[0];
      this.repos.workers.signOn(w.id, {
        nickname,
        supported_task_types: types,
        resume_task: resume?.id ?? null,
        now: this.clock.now(),
        address: caller.address,
        software: caller.software,
        can_restart: body.can_restart ?? false,
      });
    });
    this.log.info('worker signed on', { worker: w.id, nickname: nickname ?? w.nickname });
  }

  /**
   * The status a worker should start in once signed on: what is requested of it, else awake (a
   * sleep schedule asks for sleep at its next check).
   */
  startingStatus(workerId: string): RequestableStatus {
    return this.repos.workers.get(workerId)?.status_requested || 'awake';
  }

  /**
   * The worker says it is now in `status`, by itself or because it was asked to. A request it
   * fulfils is cleared; one it does not (it woke up while asked to sleep) stays, so it is asked
   * again. A worker that stops being awake no longer runs its tasks: they go back to the queue.
   */
  stateChanged(w: WorkerRecord, status: string): void {
    if (!isOneOf(['awake', 'asleep', 'testing', 'error'] as const, status)) {
      throw new ValidationError(`a worker cannot report the status "${status}"; use awake, asleep, testing or error`);
    }
    const fulfils = w.status_requested === '' || w.status_requested === status;
    if (!fulfils) this.log.warn('worker changed to a status that was not requested', { worker: w.id, status, requested: w.status_requested });
    this.repos.write(() => {
      if (status !== 'awake') this.releaseTasks(w, `worker changed status to ${status}`);
      if (fulfils) this.repos.workers.acknowledge(w.id, status, this.clock.now());
      else this.repos.workers.markSeen(w.id, { status, now: this.clock.now(), address: w.address, software: w.software });
    });
    if (w.status !== status) this.log.info('worker status changed', { worker: w.id, from: w.status, to: status });
  }

  /** Requeues the worker's running tasks and marks it offline. */
  signOff(w: WorkerRecord, caller: Caller): number {
    const requeued = this.repos.write(() => {
      const n = this.releaseTasks(w, 'signed off');
      // An asleep worker is asked to sleep again, so it goes back to sleep after its next sign-on.
      const keepSleep = w.status === 'asleep';
      this.repos.workers.signOff(w.id, {
        status_requested: keepSleep ? 'asleep' : '',
        lazy: keepSleep && w.status_requested === 'asleep' ? w.lazy_status_request : false,
        now: this.clock.now(),
        address: caller.address,
        software: caller.software,
      });
      return n;
    });
    this.log.info('worker signed off', { worker: w.id, requeued });
    return requeued;
  }

  /**
   * Puts every task the worker is running back in the queue (cancel-requested ones end canceled).
   * A building block of the operations above; the caller holds the transaction.
   */
  releaseTasks(w: WorkerRecord, why: string): number {
    let n = 0;
    for (const t of this.repos.tasks.forWorker(w.id, 'active')) {
      logTakenAway(this.taskLogs, this.clock, t, identifier(w), why);
      this.state.setTaskStatus(t, 'queued', {
        clearWorker: true,
        activity: `Re-queued task after unassigning from worker ${identifier(w)}: ${why}`,
      });
      n++;
    }
    for (const t of this.repos.tasks.forWorker(w.id, 'cancel-requested')) {
      this.state.setTaskStatus(t, 'canceled', { activity: `canceled: worker ${why}` });
    }
    return n;
  }

  requestStatus(workerId: string, status: string, { lazy = false } = {}): WorkerRecord {
    return this.repos.write(() => this.requestStatusNow(workerId, status, lazy));
  }

  private requestStatusNow(workerId: string, status: string, lazy: boolean): WorkerRecord {
    if (!isOneOf(REQUESTABLE_STATUSES, status)) {
      throw new ValidationError(`"${status}" cannot be requested; use one of ${REQUESTABLE_STATUSES.join(', ')}`);
    }
    const w = this.repos.workers.get(workerId);
    if (!w) throw new NotFoundError(`worker ${workerId} not found`);
    if (status === 'restart' && !w.can_restart) {
      throw new ConflictError(`worker ${workerId} cannot restart by itself (it did not say so at sign-on); request "shutdown" instead`);
    }
    if (w.status === 'offline' && status !== 'asleep') {
      // An offline worker learns about requests only when it signs on again; asleep is kept then.
      throw new ConflictError(`worker ${workerId} is offline; only "asleep" can be requested for its next sign-on`);
    }
    this.repos.workers.setStatusRequest(w.id, status, lazy);
    this.log.info('worker status change requested', { worker: w.id, status, lazy });
    return { ...w, status_requested: status, lazy_status_request: lazy };
  }

  /** Removes a worker for good, after putting its running tasks back in the queue. */
  forget(workerId: string): number {
    const w = isId(workerId) ? this.repos.workers.get(workerId) : undefined;
    if (!w) throw new NotFoundError(`worker ${workerId} not found`);
    const requeued = this.repos.write(() => {
      const n = this.releaseTasks(w, 'worker forgotten');
      this.repos.blocklist.deleteForWorker(w.id);
      this.repos.workers.delete(w.id);
      return n;
    });
    this.verified.forget(w.id);
    this.heard.delete(w.id);
    this.cadences.forget(w.id);
    this.log.info('worker forgotten', { worker: w.id, nickname: w.nickname, requeued });
    return requeued;
  }

  /** The worker confirms a status change. */
  ack(w: WorkerRecord, status: string): void {
    if (status === 'shutdown' || status === 'restart') {
      // The worker shuts down next and signs off, which clears the request.
      if (w.status_requested !== status) this.log.warn('worker acknowledged a status that was not requested', { worker: w.id, ack: status, requested: w.status_requested });
      return;
    }
    if (status === '' || !isOneOf(WORKER_STATUSES, status)) {
      throw new ValidationError(`unknown worker status "${status}"`);
    }
    if (status !== w.status_requested) {
      this.log.warn('worker acknowledged a status that was not requested', { worker: w.id, ack: status, requested: w.status_requested });
    }
    this.repos.write(() => this.repos.workers.acknowledge(w.id, status, this.clock.now()));
    this.log.info('worker status changed', { worker: w.id, from: w.status, to: status });
  }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
