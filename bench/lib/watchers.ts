// People and scripts watching the farm while it works: event-stream clients (/api/events) and
// dashboards. A dashboard is simulated by the requests the real one makes (src/web/main.ts):
// its event stream, and after each burst of events the jobs list (at most every 400 ms) and the
// farm summary (at most every second). Ten real browsers would put their own rendering on the
// two cores serve runs on, and measure the browsers more than serve.
//
// The watchers run in a process of their own: in the generator's one thread they would slow the
// simulated workers down, and the figures would show the generator's limits, not serve's. That
// process runs at the lowest CPU priority (nice 19): on a farm, browsers and scripts run on other
// machines, and what is measured is what they cost serve, not what reading 60 streams costs the
// one machine the bench has. (If they fell behind for it, serve would drop them: the figures
// show resyncs and lost streams.)
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Target } from './loadgen';
import { request } from './loadgen';
import { type Paths, track, waitForLine } from './processes';
import { type LatencySummary, Recorder, summarize } from './stats';

/** What the watchers count, and report as they counted it. */
interface WatcherCounts {
  streams: number;
  /** Events received by the bare streams; frames received by the dashboards' coalesced streams. */
  events: number;
  frames: number;
  bytes: number;
  resyncs: number;
  /** Streams that ended or failed while the watchers were supposed to be open. */
  lost: number;
}

export interface WatcherStats extends WatcherCounts {
  dashboardRequests: Recorder;
  /** The dashboards' requests sent on a connection that was open already: their steady state. */
  steadyRequests: Recorder;
  /** From asking for a stream to its answer's headers. */
  streamOpens: Recorder;
}

export interface Watchers {
  close(): void;
}

/** Where the `id:` lines of an event-stream chunk start (a line may start the chunk itself). */
function idLines(chunk: Buffer): number[] {
  const at: number[] = [];
  for (let i = chunk.indexOf('id: '); i >= 0; i = chunk.indexOf('id: ', i + 4)) if (i === 0 || chunk[i - 1] === 0x0a) at.push(i);
  return at;
}

/** The value of the chunk's last `id:` line, if it has one. */
function lastIdIn(chunk: Buffer, lines: number[]): string | undefined {
  const i = lines.at(-1);
  if (i === undefined) return undefined;
  const end = chunk.indexOf('\n', i + 4);
  return chunk.subarray(i + 4, end < 0 ? chunk.length : end).toString('latin1');
}

function openStream(target: Target, stats: WatcherStats, path: string, count: 'events' | 'frames', onEvents: (lastId: string | undefined) => void): () => void {
  let closed = false;
  const asked = performance.now();
  const req = http.get({ host: target.host, port: target.port, path, headers: { Accept: 'text/event-stream' } }, (res) => {
    stats.streamOpens.add(asked, performance.now() - asked, res.statusCode ?? 0);
    if (res.statusCode !== 200) {
      stats.lost++;
      res.resume();
      return;
    }
    stats.streams++;
    // Counted on the bytes, without decoding: the watchers should cost as little as they can.
    res.on('data', (chunk: Buffer) => {
      stats.bytes += chunk.length;
      const lines = idLines(chunk);
      const n = lines.length;
      stats[count] += n;
      if (chunk.includes('event: resync')) stats.resyncs++;
      if (n > 0) onEvents(lastIdIn(chunk, lines));
    });
    res.on('end', () => !closed && stats.lost++);
  });
  req.on('error', () => !closed && stats.lost++);
  return () => {
    closed = true;
    req.destroy();
  };
}

/** Opens `streams` bare event-stream clients and `dashboards` simulated dashboards. */
export function openWatchers(target: Target, streams: number, dashboards: number, stats: WatcherStats): Watchers {
  const closers: (() => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();
  // Scripts read every event; the dashboard asks for one "changes" frame per batch, as the page does.
  for (let i = 0; i < streams; i++) closers.push(openStream(target, stats, '/api/events', 'events', () => undefined));
  for (let i = 0; i < dashboards; i++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
    // As the page does: the jobs list as of the newest event seen (?at=), the farm summary.
    let seen: string | undefined;
    const debounced = (ms: number, path: () => string) => {
      let pending: NodeJS.Timeout | undefined;
      return () => {
        if (pending) return;
        pending = setTimeout(() => {
          timers.delete(pending!);
          pending = undefined;
          void request(agent, target, 'GET', path(), {}, undefined, false, stats.dashboardRequests).then((r) => {
            if (r.reused) stats.steadyRequests.add(r.start, r.ms, r.status);
          });
        }, ms);
        timers.add(pending);
      };
    };
    const jobs = debounced(400, () => (seen === undefined ? '/api/jobs' : `/api/jobs?at=${seen}`));
    const farm = debounced(1000, () => '/api/farm');
    closers.push(
      openStream(target, stats, '/api/events?coalesce=1', 'frames', (lastId) => {
        if (lastId !== undefined) seen = lastId;
        jobs();
        farm();
      }),
    );
    closers.push(() => agent.destroy());
  }
  return {
    close() {
      for (const t of timers) clearTimeout(t);
      for (const c of closers) c();
    },
  };
}

export interface WatcherFigures extends WatcherCounts {
  dashboardRequests: number;
  dashboardLatency: LatencySummary;
  steadyLatency: LatencySummary;
  streamOpenLatency: LatencySummary;
  /** The watchers process's own event-loop delay while open (the worst period's p99, the longest), ms: how late it saw what serve had sent. */
  ownDelayP99: number;
  ownDelayMax: number;
}

/**
 * The watchers process (`bench watchers …`), opened and closed between measuring windows:
 * open() opens them and waits until they are, close() closes them, stop() ends the process and
 * returns the figures of every period they were open.
 */
export interface WatcherProcess {
  pid: number;
  open(): Promise<void>;
  close(): Promise<void>;
  stop(): Promise<WatcherFigures>;
}

export async function startWatchers(p: Paths, target: Target, streams: number, dashboards: number): Promise<WatcherProcess> {
  const child = track(
    spawn(process.execPath, [p.self, 'watchers', target.host, String(target.port), String(streams), String(dashboards)], { cwd: p.root, stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  await waitForLine(child, /^ready$/m, 30_000, 'watchers');
  const say = async (command: string, answer: RegExp) => {
    const line = waitForLine(child, answer, 30_000, `watchers ${command}`);
    child.stdin!.write(`${command}\n`);
    return line;
  };
  return {
    pid: child.pid!,
    async open() {
      await say('open', /^opened$/m);
    },
    async close() {
      await say('close', /^closed$/m);
    },
    async stop() {
      const m = await say('stop', /^(\{.*\})$/m);
      child.stdin!.end();
      return JSON.parse(m[1]!) as WatcherFigures;
    },
  };
}

/** The watchers process: answers "open", "close" and "stop" (which prints its figures as JSON) on stdin. */
export function runWatchers(args: string[]): void {
  try {
    // The lowest priority: browsers and scripts run on other machines, not on serve's.
    os.setPriority(10);
  } catch {
    // not allowed here: run at the normal priority
  }
  const [host = '127.0.0.1', port = '0', streams = '0', dashboards = '0'] = args;
  const target = { host, port: Number(port) };
  const stats: WatcherStats = {
    streams: 0,
    events: 0,
    frames: 0,
    bytes: 0,
    resyncs: 0,
    lost: 0,
    dashboardRequests: new Recorder('dashboard request'),
    steadyRequests: new Recorder('steady dashboard request'),
    streamOpens: new Recorder('stream open'),
  };
  let open: Watchers | undefined;
  // One monitor per open period (a monitor enabled again would count the closed time as delay);
  // the worst period's p99 and the longest delay are reported.
  const delay = { p99: 0, max: 0 };
  let monitor: ReturnType<typeof monitorEventLoopDelay> | undefined;
  const endPeriod = () => {
    monitor?.disable();
    if (monitor && monitor.count > 0) {
      delay.p99 = Math.max(delay.p99, monitor.percentile(99) / 1e6);
      delay.max = Math.max(delay.max, monitor.max / 1e6);
    }
    monitor = undefined;
  };
  const commands: Record<string, () => string> = {
    open: () => {
      if (!monitor) {
        monitor = monitorEventLoopDelay({ resolution: 10 });
        monitor.enable();
      }
      open ??= openWatchers(target, Number(streams), Number(dashboards), stats);
      return 'opened';
    },
    close: () => {
      endPeriod();
      open?.close();
      open = undefined;
      return 'closed';
    },
    stop: () => {
      commands.close!();
      const figures: WatcherFigures = {
        streams: stats.streams,
        events: stats.events,
        frames: stats.frames,
        bytes: stats.bytes,
        resyncs: stats.resyncs,
        lost: stats.lost,
        dashboardRequests: stats.dashboardRequests.n,
        dashboardLatency: summarize(stats.dashboardRequests.slice()),
        steadyLatency: summarize(stats.steadyRequests.slice()),
        streamOpenLatency: summarize(stats.streamOpens.slice()),
        ownDelayP99: delay.p99,
        ownDelayMax: delay.max,
      };
      setTimeout(() => process.exit(0), 100);
      return JSON.stringify(figures);
    },
  };
  process.stdout.write('ready\n');
  let input = '';
  process.stdin.setEncoding('utf8').on('data', (c: string) => {
    input += c;
    const lines = input.split('\n');
    input = lines.pop() ?? '';
    for (const word of lines) {
      const run = commands[word.trim()];
      if (run) process.stdout.write(`${run()}\n`);
    }
  });
  const t = setTimeout(() => process.exit(0), 30 * 60_000);
  t.unref();
}
