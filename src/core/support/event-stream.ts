// What serve's events stream (/api/events, http/events-stream.ts) and its readers (the dashboard,
// src/web/live.ts) agree on. Imports nothing: the dashboard's bundle takes it in.

/** How long a reader waits before it reconnects (the stream's `retry:` field). */
export const EVENTS_RETRY_MS = 2000;
