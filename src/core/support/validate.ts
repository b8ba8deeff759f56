// Field validators for request bodies, job documents and config files: one wording for every
// problem ("<field>: must be …"), always a ValidationError, so every caller answers bad input
// the same way (a 400 over HTTP, exit 2 from the CLI).
import { ValidationError } from './errors';

export type Fields = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON object. `field` names it in the error; without one it is the request body. */
export function object(v: unknown, field?: string): Fields {
  if (!isPlainObject(v)) throw new ValidationError(field ? `${field}: must be an object` : 'the body must be a JSON object');
  return v;
}

/** Refuses keys outside `known`; `where` prefixes the key in the message (e.g. "settings."). */
export function knownKeys(o: Fields, known: readonly string[], where = ''): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new ValidationError(`${where}${k}: unknown field (known: ${known.join(', ') || 'none'})`);
  }
}

/** undefined and null both mean "not given". */
export function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export interface StringRule {
  /** Refuse "" (default: allowed). */
  nonEmpty?: boolean;
  /** Longest accepted length in characters. */
  max?: number;
}

export function string(v: unknown, field: string, rule: StringRule = {}): string {
  if (typeof v !== 'string' || (rule.nonEmpty && v === '')) {
    throw new ValidationError(`${field}: must be a ${rule.nonEmpty ? 'non-empty ' : ''}string`);
  }
  if (rule.max !== undefined && v.length > rule.max) throw new ValidationError(`${field}: must be at most ${rule.max} characters`);
  return v;
}

export function optionalString(v: unknown, field: string, rule: StringRule = {}): string | undefined {
  return given(v) ? string(v, field, rule) : undefined;
}

export interface ListRule extends StringRule {
  /** Most accepted items. */
  maxItems?: number;
}

export function stringList(v: unknown, field: string, rule: ListRule = {}): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ValidationError(`${field}: must be an array of strings`);
  if (rule.maxItems !== undefined && v.length > rule.maxItems) throw new ValidationError(`${field}: must have at most ${rule.maxItems} items`);
  for (const [i, x] of v.entries()) string(x, `${field}[${i}]`, rule);
  return v as string[];
}

export function optionalBoolean(v: unknown, field: string, fallback = false): boolean {
  if (!given(v)) return fallback;
  if (typeof v !== 'boolean') throw new ValidationError(`${field}: must be true or false`);
  return v;
}

export function integer(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ValidationError(`${field}: must be an integer from ${min} to ${max}`);
  return v;
}

export function finiteNumber(v: unknown, field: string, what = 'a number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(`${field}: must be ${what}`);
  return v;
}

/** An operating system's name as Flamenco uses it ("linux", "windows", "darwin", …). */
export function platformName(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(v)) throw new ValidationError(`${field}: must be a platform name such as "linux", "windows" or "darwin"`);
  return v;
}

/** An object whose values are all strings. */
export function stringMap(v: unknown, field: string): Record<string, string> {
  if (!isPlainObject(v) || Object.values(v).some((x) => typeof x !== 'string')) throw new ValidationError(`${field}: must be an object of strings`);
  return v as Record<string, string>;
}
