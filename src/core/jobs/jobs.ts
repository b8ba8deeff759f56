// Job submission: validate the whole document, compile it, then write job and tasks in one
// transaction. Nothing is written unless everything is valid.
import type { Command } from '../../db/tasks-repo';
import { hasV3Equivalent } from './dialects';
import type { Clock } from '../support/clock';
import { compilerFor, COMPILERS } from './compilers/index';
import type { CompiledTask, SettingSpec } from './compilers/types';
import { CONTROL_CHARACTERS } from '../support/control-characters';
import { UnprocessableError, ValidationError } from '../support/errors';
import { DEFAULT_MAX_TASKS_PER_JOB } from '../support/limits';
import { given, integer, isPlainObject as isObject, knownKeys, optionalBoolean, platformName, stringMap } from '../support/validate';
import type { IdGenerator } from '../support/ids';
import type { Logger } from '../support/logger';
import type { Repos } from '../repos';
import { parseFrames } from './frames';
import type { Variables } from './variables';
import type { StuckWork } from './stuck';
import { checkSubmitter, type Submitter } from './submitters';

export interface SubmitResult {
  id: string;
  tasks: number;
  /** Waiting work of the job no registered worker will pick up (stuck.ts): what the submitter is told. */
  warnings: string[];
}

const JOB_KEYS = ['name', 'job_type', 'priority', 'settings', 'start_paused', 'tag', 'metadata', 'submitter_platform', 'tasks'];

export interface ValidJob {
  name: string;
  job_type: string;
  priority: number;
  settings: Record<string, unknown>;
  start_paused: boolean;
  tag: string | null;
  metadata: Record<string, string>;
  /** The operating system the job was submitted from (the Blender add-on sends it), if known. */
  submitter_platform: string | null;
  tasks: CompiledTask[];
}

/** A job larger than `max_tasks_per_job` is refused before anything is written (422, naming the limit). */
function checkTaskCount(n: number, max: number): void {
  if (n > max) {
    throw new UnprocessableError(
      `the job has ${n} tasks, more than max_tasks_per_job (${max}) allows; use larger chunks, submit it in parts, or raise max_tasks_per_job in serve's config`,
    );
  }
}

/**
 * Checks a job document and compiles it; throws a ValidationError naming the field, or a
 * ForbiddenError when `by` may not choose what the document asks for (jobs/submitters.ts).
 */
export function validateJob(doc: unknown, now: number, variables?: Variables, maxTasks = DEFAULT_MAX_TASKS_PER_JOB, by: Submitter = 'admin'): ValidJob {
  if (!isObject(doc)) throw new ValidationError('the job document must be a JSON object');
  knownKeys(doc, JOB_KEYS);
  const { name, job_type } = doc;
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200) throw new ValidationError('name: must be a string of 1 to 200 characters');
  plainText(name, 'name');
  if (typeof job_type !== 'string') throw new ValidationError('job_type: required, a string');
  const compiler = compilerFor(job_type);
  if (!compiler) throw new ValidationError(`job_type: unknown job type "${job_type}" (known: ${COMPILERS.map((c) => c.job_type).join(', ')})`);
  checkSubmitter(compiler, doc.settings, by);
  const priority = integer(doc.priority ?? 50, 'priority', 0, 100);
  const start_paused = optionalBoolean(doc.start_paused, 'start_paused');
  const tag = doc.tag ?? null;
  if (tag !== null && (typeof tag !== 'string' || tag.trim() === '')) throw new ValidationError('tag: must be a non-empty string');
  if (tag !== null) plainText(tag as string, 'tag');
  const metadata = stringMap(doc.metadata ?? {}, 'metadata');
  for (const [k, v] of Object.entries(metadata)) {
    plainText(k, 'metadata');
    plainText(v, `metadata.${k}`);
  }
  const submitter_platform = given(doc.submitter_platform) ? platformName(doc.submitter_platform, 'submitter_platform') : null;
  if (job_type !== 'custom' && doc.tasks !== undefined) throw new ValidationError(`tasks: only a custom job lists its tasks; a ${job_type} job is compiled from its settings`);
  // A custom job's list is counted before it is compiled.
  if (Array.isArray(doc.tasks)) checkTaskCount(doc.tasks.length, maxTasks);
  // Two-way variables: paths as the submitter's machine sees them are stored as {placeholders},
  // before compiling so that derived paths carry the placeholder too.
  const checked = checkSettings(compiler.settings, doc.settings, job_type !== 'custom');
  const converted = variables ? variables.settingsToPlaceholders(checked) : checked;
  const settings = compiler.resolveSettings?.(converted, { now }) ?? converted;
  let tasks = compiler.compile(settings, { now }, doc);
  if (variables) tasks = tasks.map((t) => ({ ...t, commands: variables.commandsToPlaceholders(t.commands) }));
  if (tasks.length === 0) throw new ValidationError('the job compiles to no tasks');
  checkTaskCount(tasks.length, maxTasks);
  return { name, job_type, priority, settings, start_paused, tag, metadata, submitter_platform, tasks };
}

function checkSettings(specs: readonly SettingSpec[], given: unknown, required: boolean): Record<string, unknown> {
  if (given === undefined && !required) return {};
  if (!isObject(given)) throw new ValidationError('settings: must be an object');
  const known = new Set(specs.map((s) => s.name));
  for (const k of Object.keys(given)) {
    if (!known.has(k)) throw new ValidationError(`settings.${k}: unknown setting (known: ${[...known].join(', ') || 'none'})`);
  }
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const at = `settings.${spec.name}`;
    let v = given[spec.name];
    if (v === undefined || v === null) {
      if (spec.required) throw new ValidationError(`${at}: required`);
      if (spec.default === undefined) continue;
      v = spec.default;
    }
    switch (spec.type) {
      case 'string':
        if (typeof v !== 'string' || v === '') throw new ValidationError(`${at}: must be a non-empty string`);
        checkArgument(spec, v, at);
        break;
      case 'integer':
      case 'number': {
        const whole = spec.type === 'integer';
        const min = spec.min ?? (whole ? 1 : 0);
        const ok = typeof v === 'number' && (whole ? Number.isInteger(v) : Number.isFinite(v)) && v >= min && (spec.max === undefined || v <= spec.max);
        if (!ok) {
          const range = spec.max === undefined ? `≥ ${min}` : `from ${min} to ${spec.max}`;
          throw new ValidationError(`${at}: must be ${whole ? 'an integer' : 'a number'} ${range}`);
        }
        break;
      }
      case 'boolean':
        if (typeof v !== 'boolean') throw new ValidationError(`${at}: must be true or false`);
        break;
      case 'frames':
        parseFrames(v, at);
        v = String(v);
        break;
    }
    out[spec.name] = v;
  }
  return out;
}

/**
 * Names, tags and metadata are shown in terminals (the CLI's tables), the logs and the dashboard;
 * whoever submits (also without a token) must not be able to send a terminal escape sequence or
 * a line break to an admin's screen through them.
 */
function plainText(v: string, at: string): void {
  if (CONTROL_CHARACTERS.test(v)) throw new ValidationError(`${at}: must not contain control characters (newlines, tabs, escape, …)`);
}

/**
 * What a string may hold when it can reach a worker's command line. Workers start programs
 * without a shell, so quotes, `;` and `$` are only characters; but a control character (a
 * newline in a path the worker writes into a Python expression, a NUL) has no place in any
 * setting, a path starting with "-" would be read as an option, and a file format is a name.
 */
function checkArgument(spec: SettingSpec, v: string, at: string): void {
  plainText(v, at);
  if (spec.path && v.startsWith('-')) throw new ValidationError(`${at}: "${v}" must not start with "-" (give a full path)`);
  if (spec.identifier && !/^[A-Za-z0-9_]{1,64}$/.test(v)) throw new ValidationError(`${at}: "${v}" must be a name of letters, digits and "_", e.g. "PNG" or "OPEN_EXR"`);
}

/** Submissions remembered for the events feed (see takeSubmittedHere); a CLI process, which never reads the feed, keeps at most this many. */
const REMEMBERED_SUBMISSIONS = 10_000;

export class JobService {
  private readonly submittedHere = new Set<string>();

  constructor(
    private readonly repos: Repos,
    private readonly clock: Clock,
    private readonly newId: IdGenerator,
    private readonly log: Logger,
    private readonly stuck: StuckWork,
    private readonly variables?: Variables,
    private readonly maxTasks: () => number = () => DEFAULT_MAX_TASKS_PER_JOB,
  ) {}

  /** Validates and compiles a job as submit would, and writes nothing. */
  check(doc: unknown, by: Submitter = 'admin'): ValidJob {
    return validateJob(doc, this.clock.now(), this.variables, this.maxTasks(), by);
  }

  /**
   * `source` (e.g. the submitter's address) goes into the log line, so every submission can be
   * traced; `by` says what the submitter may choose (jobs/submitters.ts).
   */
  submit(doc: unknown, source: Record<string, string> = {}, by: Submitter = 'admin'): SubmitResult {
    const now = this.clock.now();
    const job = validateJob(doc, now, this.variables, this.maxTasks(), by);
    const id = this.newId();
    const status = job.start_paused ? 'paused' : 'queued';
    this.repos.write(() => {
      const { jobs, tasks, taskParents, taskCounts, jobTaskTypes } = this.repos;
      const job_seq = jobs.insert({
        id,
        name: job.name,
        job_type: job.job_type,
        status,
        priority: job.priority,
        settings: job.settings,
        metadata: job.metadata,
        tag: job.tag,
        submitter_platform: job.submitter_platform,
        activity: '',
        created: now,
        updated: now,
        last_output: null,
      });
      const ids = new Map<string, string>();
      for (const t of job.tasks) ids.set(t.name, this.newId());
      // Per task type the commands of one task stand for all (job_task_types): one that a Flamenco
      // 3 Worker cannot run if there is such a task, so the stuck-work warnings can name it.
      const typeCommands = new Map<string, { commands: Command[]; v3: boolean }>();
      for (const t of job.tasks) {
        const v3 = hasV3Equivalent(t.commands);
        tasks.insert({
          id: ids.get(t.name)!,
          job_id: id,
          job_seq,
          job_priority: job.priority,
          job_tag: job.tag,
          name: t.name,
          task_type: t.task_type,
          priority: t.priority,
          status,
          commands: t.commands,
          pending_parents: t.parents.length,
          worker_id: null,
          activity: '',
          log_tail: '',
          task_progress: 0,
          command_idx: 0,
          command_progress: 0,
          metrics: {},
          last_worker_ping: null,
          created: now,
          updated: now,
          v3_equivalent: v3,
        });
        for (const p of t.parents) taskParents.insert(ids.get(t.name)!, ids.get(p)!);
        const seen = typeCommands.get(t.task_type);
        if (!seen || (seen.v3 && !v3)) typeCommands.set(t.task_type, { commands: t.commands, v3 });
      }
      for (const [type, { commands }] of typeCommands) jobTaskTypes.insert(id, type, commands);
      taskCounts.add(id, status, job.tasks.length);
    });
    this.log.info('job submitted', { job: id, name: job.name, job_type: job.job_type, tasks: job.tasks.length, ...source });
    this.submittedHere.add(id);
    if (this.submittedHere.size > REMEMBERED_SUBMISSIONS) this.submittedHere.delete(this.submittedHere.values().next().value!);
    return { id, tasks: job.tasks.length, warnings: this.stuck.forJob(id) };
  }

  /**
   * Whether this process submitted the job (and logged it); each id answers true once. serve asks
   * for every new job in the events journal, to log the ones the CLI of another process submitted.
   */
  takeSubmittedHere(id: string): boolean {
    return this.submittedHere.delete(id);
  }
}
