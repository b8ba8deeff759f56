// Request bodies: JSON parsed with a 400 that says where it broke, then the core validators.
import { ValidationError } from '../core/support/errors';
import { type Fields, object } from '../core/support/validate';

/** Parses a JSON body; malformed JSON is a 400 that says where. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new ValidationError('the request needs a JSON body');
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new ValidationError(`malformed JSON: ${(err as Error).message}`);
  }
}

/** The body as a JSON object; with `optional`, an empty body is {}. */
export function jsonObject(body: Buffer, optional = false): Fields {
  if (optional && body.length === 0) return {};
  return object(parseJson(body));
}
