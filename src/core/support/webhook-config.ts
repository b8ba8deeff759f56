// Config key `webhooks`: [{"url", "events": ["job-status", "worker-status"], "secret"}].
import { ValidationError } from './errors';
import { knownKeys, object } from './validate';

export const WEBHOOK_EVENTS = ['job-status', 'worker-status'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookConfig {
  url: string;
  events: WebhookEvent[];
  /** Key of the HMAC-SHA256 signature of each body (X-Flamenco-Signature). */
  secret: string;
}

/** Secrets shorter than this are guessable; the signature would prove nothing. */
const MIN_SECRET = 16;

export function parseWebhooks(v: unknown): WebhookConfig[] {
  if (!Array.isArray(v)) throw new ValidationError('webhooks: must be a list of {"url", "events", "secret"}');
  const seen = new Set<string>();
  return v.map((item: unknown, i: number) => {
    const at = `webhooks[${i}]`;
    const o = object(item, at);
    knownKeys(o, ['url', 'events', 'secret'], `${at}.`);
    let url: URL;
    try {
      if (typeof o.url !== 'string') throw new Error();
      url = new URL(o.url);
    } catch {
      throw new ValidationError(`${at}.url: must be an http:// or https:// URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError(`${at}.url: must be an http:// or https:// URL`);
    // Never sent (fetch refuses such URLs) and would be logged with every failure: refused, without echoing it.
    if (url.username !== '' || url.password !== '') {
      throw new ValidationError(`${at}.url: must not hold credentials (user:password@); receivers check X-Flamenco-Signature, made with "secret"`);
    }
    if (seen.has(url.href)) throw new ValidationError(`${at}.url: ${url.href} is listed twice`);
    seen.add(url.href);
    if (!Array.isArray(o.events) || o.events.length === 0 || o.events.some((e) => !(WEBHOOK_EVENTS as readonly unknown[]).includes(e))) {
      throw new ValidationError(`${at}.events: must be a non-empty list of ${WEBHOOK_EVENTS.map((e) => `"${e}"`).join(', ')}`);
    }
    if (typeof o.secret !== 'string' || o.secret.length < MIN_SECRET) throw new ValidationError(`${at}.secret: must be a string of at least ${MIN_SECRET} characters`);
    return { url: url.href, events: [...new Set(o.events as WebhookEvent[])], secret: o.secret };
  });
}
