// What handlers return; the server turns it into a response.
export interface Reply {
  status: number;
  /** An object is sent as JSON, a string as text/plain; undefined sends no body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Work the answer must wait for (a log write under way), besides the database commit. */
  wait?: Promise<unknown>;
  /** Streamed as the body instead of `body` (large files); Content-Length goes in headers. */
  stream?: NodeJS.ReadableStream;
}

export const noContent: Reply = { status: 204 };

export function json(body: unknown, status = 200): Reply {
  return { status, body };
}

export function errorReply(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, body: { error: { code, message } }, headers };
}
