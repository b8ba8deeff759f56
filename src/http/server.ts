// node:http server: a route table, body limits, and one place that turns replies and errors
// into responses.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { type Clock, systemClock } from '../core/support/clock';
import { MethodNotAllowedError, NotFoundError, ShuttingDownError, TooLargeError } from '../core/support/errors';
import type { Logger } from '../core/support/logger';
import { errorReplies, replyFor } from './errors';
import type { Reply } from './reply';
import { addressKey, admitConnection, PerAddress } from './address-limits';

export interface RequestCtx {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  /** The raw body (empty for GET). */
  body: Buffer;
}

export interface Route {
  methods: readonly string[];
  /** Path with :name segments, e.g. /tasks/:task/update. */
  path: string;
  /** Largest accepted body in bytes. */
  bodyLimit?: number;
  /**
   * Runs before the body is read (authorization from the headers), so strangers cannot make us read
   * or buffer their bodies: a request it refuses is answered without its body being read.
   */
  guard?: (req: IncomingMessage) => void | Promise<void>;
  handler: (ctx: RequestCtx) => Reply | Promise<Reply>;
  /** Reshapes this route's error answers (also the guard's and the body limit's) for clients that expect another error body. */
  errorShape?: (reply: Reply) => Reply;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

interface CompiledRoute extends Route {
  segments: string[];
}

function compile(routes: Route[]): CompiledRoute[] {
  return routes.map((r) => ({ ...r, segments: r.path.split('/').slice(1) }));
}

function match(route: CompiledRoute, parts: string[]): Record<string, string> | undefined {
  const segs = route.segments;
  if (segs.length !== parts.length) return undefined;
  // Fixed segments first: most routes are ruled out without building anything.
  for (let i = 0; i < parts.length; i++) {
    const seg = segs[i]!;
    if (seg.charCodeAt(0) !== COLON && seg !== parts[i]) return undefined;
  }
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const seg = segs[i]!;
    if (seg.charCodeAt(0) !== COLON) continue;
    try {
      params[seg.slice(1)] = decodeURIComponent(parts[i]!);
    } catch {
      return undefined;
    }
  }
  return params;
}

const COLON = 58;

/**
 * A request target that is a plain path (letters, digits, '-', '_', '/'; no query, dots or
 * escapes) is its own URL path: every worker request is one, and parsing it as a URL cost
 * ≈ 2 µs of each. Anything else is parsed as a URL.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_\-/]*$/;

function pathOf(target: string): string {
  return PLAIN_PATH.test(target) ? target : new URL(target, 'http://manager').pathname;
}

/** The URL of a request, parsed when a handler first asks for it (most never do). */
class Ctx implements RequestCtx {
  private parsed: URL | undefined;
  constructor(
    readonly req: IncomingMessage,
    readonly params: Record<string, string>,
    readonly body: Buffer,
  ) {}
  get url(): URL {
    this.parsed ??= new URL(this.req.url ?? '/', 'http://manager');
    return this.parsed;
  }
}

/** The route whose path matches the URL's, whatever the method. */
function routeFor(routes: CompiledRoute[], url: string | undefined): CompiledRoute | undefined {
  try {
    const parts = pathOf(url ?? '/')
      .split('/')
      .slice(1);
    return routes.find((r) => match(r, parts));
  } catch {
    return undefined;
  }
}

/** The client went away before its request was complete: nobody is left to answer. */
class ClientGone extends Error {}

const EMPTY = Buffer.alloc(0);

/** The body: at once when the framing says there is none, else once it has arrived. */
function readBody(req: IncomingMessage, limit: number): Buffer | Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooLarge = () => new TooLargeError(`request body larger than ${limit} bytes`);
  if (declared > limit) return Promise.reject(tooLarge());
  // No length and no chunks: the framing says there is no body (a worker's POST /task), so there
  // is nothing to wait for.
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return EMPTY;
  }
  if (req.destroyed && !req.complete) return Promise.reject(new ClientGone());
  return new Promise((resolve, reject) => {
    // A hang-up mid-body is the client's business (a worker killed, a network drop), not ours.
    req.on('close', () => {
      if (!req.complete) reject(new ClientGone());
    });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', (err) => reject(req.complete ? err : new ClientGone()));
  });
}

export function send(res: ServerResponse, reply: Reply, head = false): void {
  if (reply.status === 204 && reply.headers === undefined && !reply.stream) {
    // An idle worker's answer, the most common one: nothing to build.
    res.writeHead(204);
    res.end();
    return;
  }
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.stream) {
    res.writeHead(reply.status, headers);
    if (head) {
      // No body is sent: close the stream, and the file it holds open.
      (reply.stream as Readable).destroy();
      res.end();
      return;
    }
    // pipeline closes the file also when the client goes away mid-download.
    pipeline(reply.stream, res, () => {});
    return;
  }
  let payload: Buffer | undefined;
  if (reply.body !== undefined && reply.status !== 204) {
    if (typeof reply.body === 'string') {
      headers['Content-Type'] ??= 'text/plain; charset=utf-8';
      payload = Buffer.from(reply.body, 'utf8');
    } else if (Buffer.isBuffer(reply.body)) {
      payload = reply.body;
    } else {
      headers['Content-Type'] ??= 'application/json';
      payload = Buffer.from(JSON.stringify(reply.body), 'utf8');
    }
    headers['Content-Length'] = String(payload.length);
  } else if (reply.status !== 204 && reply.status !== 304) {
    headers['Content-Length'] = '0';
  }
  res.writeHead(reply.status, headers);
  res.end(head ? undefined : payload);
}

export interface HttpServerOptions {
  /**
   * Resolves once the writes of the request are durable; replies wait for it, so that an answer
   * never acknowledges a change that is not on disk yet (see db/batch.ts).
   */
  settled?: () => Promise<void> | undefined;
  /** Most connections open at once (config max_connections); more are closed at once. */
  maxConnections?: number;
  /** Most connections open at once from one address (config max_connections_per_address, read at each connection). */
  maxConnectionsPerAddress?: () => number;
  /** Told of a connection closed because its address has too many open (to log, rate-limited). */
  onAddressLimit?: (address: string, limit: number) => void;
  /** A request's headers must arrive within this (ms). */
  headersTimeoutMs?: number;
  /** A whole request must arrive within this (ms). */
  requestTimeoutMs?: number;
  /** Told of every answer (metrics). */
  observe?: AnswerObserver;
  /** The manager's clock (how often a warning is logged). */
  clock?: Clock;
}

export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Once the server stops listening (serve is stopping, see drain.ts) a request that arrives on a
 * connection still open is new work: it is refused politely, and the connection closed after.
 */
/** Told of every answer: its route's pattern ('unmatched' when none), status and duration. */
export type AnswerObserver = (method: string, route: string, status: number, seconds: number) => void;

export function createHttpServer(routeTable: Route[], log: Logger, opts: HttpServerOptions = {}): http.Server {
  const routes = compile(routeTable);
  const clock = opts.clock ?? systemClock;
  const replyForError = errorReplies(log, clock);
  const headersTimeout = opts.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const server = http.createServer(
    {
      keepAliveTimeout: 120_000,
      headersTimeout,
      requestTimeout: opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // How often node looks for connections past those timeouts. With its default of 30 s a
      // 10 s headers timeout fires after 30 s and a 30 s request timeout after 60 s.
      connectionsCheckingInterval: Math.min(500, Math.max(50, Math.floor(headersTimeout / 4))),
    },
    (req, res) => {
      void handle(req, res);
    },
  );
  if (opts.maxConnections !== undefined) server.maxConnections = opts.maxConnections;
  const perAddress = opts.maxConnectionsPerAddress;
  if (perAddress) {
    const open = new PerAddress();
    server.on('connection', (socket) => {
      const limit = perAddress();
      if (!admitConnection(open, socket, limit)) opts.onAddressLimit?.(addressKey(socket.remoteAddress), limit);
    });
  }
  let dropped = 0;
  let dropLogged = 0;
  server.on('drop', () => {
    dropped++;
    // At most one line a minute: a flood must not fill the log.
    if (clock.now() - dropLogged < 60_000) return;
    dropLogged = clock.now();
    log.warn('connection refused: max_connections open already', { max_connections: server.maxConnections, refused_since_last: dropped });
    dropped = 0;
  });

  /** For each path without parameters, the routes it matches (in table order): no scan for those. */
  const byPath = new Map<string, CompiledRoute[]>();
  for (const r of routes) {
    if (!r.path.includes(':') && !byPath.has(r.path))
      byPath.set(
        r.path,
        routes.filter((o) => match(o, r.segments)),
      );
  }

  function find(method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | { pathMatched: boolean } {
    const known = byPath.get(path);
    const parts = path.split('/').slice(1);
    let pathMatched = false;
    for (const route of known ?? routes) {
      const params = match(route, parts);
      if (!params) continue;
      pathMatched = true;
      if (route.methods.includes(method) || (method === 'HEAD' && route.methods.includes('GET'))) return { route, params };
    }
    return { pathMatched };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const started = performance.now();
    let reply: Reply;
    if (!server.listening) {
      res.setHeader('Connection', 'close');
      req.resume();
      // In the route's own error shape: a client may have to read it as "try again later".
      const shape = routeFor(routes, req.url)?.errorShape;
      const refusal = replyFor(new ShuttingDownError());
      send(res, shape ? shape(refusal) : refusal, method === 'HEAD');
      return;
    }
    let route: CompiledRoute | undefined;
    const where = () => `${method} ${route ? route.path : req.url}`;
    try {
      const path = pathOf(req.url ?? '/');
      const found = find(method, path);
      if (!('route' in found)) {
        const parts = path.split('/').slice(1);
        reply = found.pathMatched
          ? replyFor(new MethodNotAllowedError(`${method} is not allowed on ${path}`), {
              Allow: routes
                .filter((r) => match(r, parts))
                .flatMap((r) => r.methods)
                .join(', '),
            })
          : replyFor(new NotFoundError(`no such endpoint: ${path}`));
        req.resume();
      } else {
        route = found.route;
        // Awaited only when they are under way: each await costs a turn of the microtask queue.
        const guarded = route.guard?.(req);
        if (guarded) await guarded;
        let body: Buffer = EMPTY;
        if (method === 'GET' || method === 'HEAD') req.resume();
        else {
          const read = readBody(req, route.bodyLimit ?? DEFAULT_BODY_LIMIT);
          body = Buffer.isBuffer(read) ? read : await read;
        }
        const handled = route.handler(new Ctx(req, found.params, body));
        reply = handled instanceof Promise ? await handled : handled;
      }
    } catch (err) {
      if (err instanceof ClientGone) {
        log.debug('client hung up before its request was complete', { where: where() });
        return;
      }
      reply = replyForError(err, where());
      // An unread body would be taken for the next request on this connection.
      if (!req.complete) res.setHeader('Connection', 'close');
    }
    try {
      if (reply.wait) await reply.wait;
      const settling = opts.settled?.();
      if (settling) await settling;
    } catch (err) {
      reply = replyForError(err, where());
    }
    if (res.headersSent || res.writableEnded) return;
    if (route?.errorShape && reply.status >= 400) reply = route.errorShape(reply);
    // Answered while stopping: the client must not send its next request on this connection.
    if (!server.listening) res.setHeader('Connection', 'close');
    try {
      send(res, reply, method === 'HEAD');
    } catch (err) {
      log.error('could not send a response', { where: where(), error: String(err) });
      res.destroy();
    }
    opts.observe?.(method, route ? route.path : 'unmatched', reply.status, (performance.now() - started) / 1000);
  }

  return server;
}
