// Talking to serve. The admin token lives in sessionStorage (for this tab only, gone when it
// closes) and travels in the Authorization header, never in a URL or a cookie: no other site can
// make the browser send it, so actions need no cross-site request protection beyond that.

const KEY = 'flamenco-mgr-admin-token';

export const session = {
  token: (): string | null => sessionStorage.getItem(KEY),
  set: (t: string) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function authHeaders(token = session.token()): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = authHeaders();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  const text = await res.text();
  let doc: unknown;
  try {
    doc = text ? JSON.parse(text) : undefined;
  } catch {
    doc = text;
  }
  if (!res.ok) throw new ApiError(res.status, errorMessage(doc) ?? `${res.status} ${res.statusText}`);
  return doc as T;
}

/** The message of the API's `{"error": {"message"}}` bodies. */
function errorMessage(doc: unknown): string | undefined {
  const e = (doc as { error?: { message?: unknown } } | undefined)?.error;
  return typeof e?.message === 'string' ? e.message : undefined;
}

export async function text(path: string): Promise<string> {
  // no-cache: the browser keeps the image and asks with its ETag; an unchanged one is a 304.
  const res = await fetch(path, { headers: authHeaders(), cache: 'no-cache' });
  if (!res.ok) throw new ApiError(res.status, `${res.status} ${res.statusText}`);
  return res.text();
}

export interface Access {
  read: boolean;
  admin: boolean;
  /** Why serve refused to say (a wrong token, a host name it does not answer to without one). */
  refusal?: string;
}

export async function access(token = session.token()): Promise<Access> {
  const r = await fetch('/api/access', { headers: authHeaders(token), cache: 'no-store' });
  const doc = (await r.json().catch(() => undefined)) as unknown;
  if (r.ok) return doc as Access;
  // A wrong token is the login form's to say in its words; other refusals in serve's.
  if (r.status === 401) return { read: false, admin: false };
  return { read: false, admin: false, refusal: errorMessage(doc) ?? `${r.status} ${r.statusText}` };
}

/** A last-rendered image as an object URL, or the reason there is none. */
export async function lastRendered(path: string): Promise<{ url: string } | { path: string | null; reason: string }> {
  // no-cache: the browser keeps the image and asks with its ETag; an unchanged one is a 304.
  const res = await fetch(path, { headers: authHeaders(), cache: 'no-cache' });
  if (!res.ok) throw new ApiError(res.status, `${res.status} ${res.statusText}`);
  const type = res.headers.get('content-type') ?? '';
  if (/^image\/(png|jpeg|webp)$/.test(type)) return { url: URL.createObjectURL(await res.blob()) };
  return (await res.json()) as { path: string | null; reason: string };
}
