// Every bound against denial of service that is not a config key, stated once; the config keys'
// defaults are here too (config.ts reads them). docs/limits.md lists them for people.

/**
 * Rows a listing answers without the admin token (`?limit=` above it is lowered to it, and a
 * listing without `limit` stops there). A 100 000-task job read whole was 29 MB of JSON built in
 * one piece; 16 such reads took serve to 1 GB and starved the workers. 1 000 tasks are ~300 KB,
 * and the dashboard asks for 100 at a time.
 */
export const TOKENLESS_MAX_ROWS = 1000;

/**
 * Default of `max_tasks_per_job`. A submission is compiled and written in one transaction that
 * holds serve's loop: 100 000 tasks took ~70 MiB and delayed workers' /task by seconds. 10 000
 * tasks is a 10 000-frame shot rendered a frame a task, more than any real job needs (chunks of
 * several frames make far fewer), and is written in well under a second.
 */
export const DEFAULT_MAX_TASKS_PER_JOB = 10_000;

/** Frames one submission may name (before chunking): every frame is kept as a number while compiling. */
export const MAX_FRAMES_PER_SUBMISSION = 100_000;

/**
 * Tokenless requests that compile a job (the Blender add-on's /api/v3/jobs/check and /api/v3/jobs)
 * per source address per window. The add-on checks, then submits: 60 is 30 jobs a minute, far
 * more than an artist sends; past this the address is answered 429 with Retry-After until its
 * window ends. Each may compile up to MAX_FRAMES_PER_SUBMISSION frames before it is judged.
 */
export const TOKENLESS_SUBMISSIONS_PER_WINDOW = 60;
export const TOKENLESS_SUBMISSION_WINDOW_MS = 60_000;

/**
 * Default of `max_connections_per_address`. High enough for a few hundred render nodes behind one
 * NAT address (one kept-alive connection each, two while a log upload overlaps a poll), low enough
 * that one address cannot take more than a twelfth of max_connections' default.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1000;

/**
 * Default of `max_event_streams_per_address`: a fifth of the 1 000 streams serve keeps open, so
 * that one address cannot take them all, while an office behind one NAT address or a reverse proxy
 * on the manager's machine still has room for a couple of hundred open dashboards.
 */
export const DEFAULT_MAX_EVENT_STREAMS_PER_ADDRESS = 200;

/** Repeated refusals of one kind from one address are logged at most once per this, with a count. */
export const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Addresses (or keys) a per-address table remembers at most, so that many addresses cannot grow memory. */
export const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * A worker's /output-produced reports kept at most once per this; more often they are answered
 * as usual and ignored. Each kept report may make serve copy the image (up to 64 MiB).
 */
export const OUTPUT_REPORTS_INTERVAL_MS = 1000;
