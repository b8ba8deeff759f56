// The Blender add-on's view of our job types, derived from the compilers' setting descriptions
// (the one schema per job type), and its job submissions turned into our job documents. The
// add-on is Flamenco 3's: its field names and setting types are the ones used here.
import { createHash } from 'node:crypto';
import { PreconditionFailedError, ValidationError } from '../support/errors';
import { object, optionalString, platformName } from '../support/validate';
import { compilerFor, COMPILERS } from './compilers/index';
import type { JobCompiler, SettingSpec, SettingType } from './compilers/types';
import { openToTrustedNetworks } from './submitters';

/** The add-on's setting types (Blender property types). Frame ranges are strings to it. */
const ADDON_TYPES: Record<SettingType, 'string' | 'int32' | 'float' | 'bool'> = {
  string: 'string',
  frames: 'string',
  integer: 'int32',
  number: 'float',
  boolean: 'bool',
};

export interface AddonJobType {
  name: string;
  label: string;
  description: string;
  settings: Record<string, unknown>[];
  /** Changes whenever the description does; a submission with an older one is refused. */
  etag: string;
}

/** The key the add-on uses for a setting. */
const addonKey = (s: SettingSpec) => s.addon?.key ?? s.name;

function addonSetting(s: SettingSpec): Record<string, unknown> {
  const a = s.addon ?? {};
  const out: Record<string, unknown> = { key: addonKey(s), type: ADDON_TYPES[s.type], description: s.description, required: s.required };
  if (s.default !== undefined) out.default = s.default;
  if (a.subtype) out.subtype = a.subtype;
  // Explicit bounds become the Blender field's. The implied ones (integers from 1) are left to
  // validation: a field without a default starts at 0, which Blender would have to clamp.
  if (s.min !== undefined || s.max !== undefined) out.propargs = { ...(s.min !== undefined ? { min: s.min } : {}), ...(s.max !== undefined ? { max: s.max } : {}) };
  if (a.eval) out.eval = a.eval;
  if (a.evalInfo) out.evalInfo = a.evalInfo;
  if (a.visible) out.visible = a.visible;
  if (a.editable !== undefined) out.editable = a.editable;
  return out;
}

function addonJobType(c: JobCompiler): AddonJobType {
  const body = { name: c.job_type, label: c.addon_label!, description: c.description, settings: c.settings.filter((s) => !s.admin_only).map(addonSetting) };
  return { ...body, etag: createHash('sha256').update(JSON.stringify(body)).digest('hex') };
}

let cached: AddonJobType[] | undefined;

/**
 * The job types offered to the add-on: those a submitter without the admin token may submit
 * (jobs/submitters.ts), in registry order, without their admin-only settings.
 */
export function addonJobTypes(): AddonJobType[] {
  cached ??= COMPILERS.filter(openToTrustedNetworks).map(addonJobType);
  return cached;
}

export function addonJobTypeNamed(name: string): AddonJobType | undefined {
  return addonJobTypes().find((t) => t.name === name);
}

/** What the add-on submits (Flamenco 3's SubmittedJob), checked and turned into our job document. */
export interface AddonSubmission {
  /** Our job document, for JobService.check / submit. */
  doc: Record<string, unknown>;
}

/**
 * Maps the add-on's setting keys to ours and leaves out what it sends for a field nobody filled
 * in (an empty string for an optional text setting), so our defaults apply. Keys that belong to
 * no setting are kept: validation then names them.
 */
function settingsFromAddon(compiler: JobCompiler | undefined, given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    const spec = compiler?.settings.find((s) => addonKey(s) === key);
    if (spec && !spec.required && spec.type === 'string' && value === '') continue;
    out[spec ? spec.name : key] = value;
  }
  return out;
}

export function fromAddonSubmission(body: unknown): AddonSubmission {
  const { name, type, priority, settings, metadata, submitter_platform, worker_tag, initial_status, type_etag } = object(body);
  if (typeof type !== 'string' || type === '') throw new ValidationError('type: required, the name of a job type');
  const current = addonJobTypeNamed(type);
  if (!current) {
    throw new ValidationError(
      `job type "${type}" is not offered to Blender (offered: ${addonJobTypes()
        .map((t) => t.name)
        .join(', ')}); refresh the job types`,
    );
  }
  // Required by Flamenco 3; "manager" is its word for "the manager's own platform": nothing to record.
  const platform = platformName(submitter_platform, 'submitter_platform');
  const etag = optionalString(type_etag, 'type_etag') ?? '';
  if (etag !== '' && etag !== current.etag) {
    throw new PreconditionFailedError(`the settings of job type "${current.name}" have changed on the manager; refresh the job types in Blender and submit again`);
  }
  const tag = optionalString(worker_tag, 'worker_tag');
  if (initial_status !== undefined && initial_status !== 'queued' && initial_status !== 'paused') {
    throw new ValidationError(`initial_status: a job starts "queued" or "paused", not ${JSON.stringify(initial_status)}`);
  }
  const doc: Record<string, unknown> = {
    name,
    job_type: type,
    priority,
    settings: settingsFromAddon(compilerFor(type), settings === undefined ? {} : object(settings, 'settings')),
    metadata: metadata ?? {},
    start_paused: initial_status === 'paused',
    ...(platform !== 'manager' ? { submitter_platform: platform } : {}),
    ...(tag ? { tag } : {}),
  };
  return { doc };
}
