// /metrics in the Prometheus text exposition format (version 0.0.4): farm gauges read from the
// database at scrape time, counters that follow the events journal (so changes made by CLI
// commands count too), a request-duration histogram by route, the database size and the process.
import { softwareVersion } from '../read-models';
import { statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { FarmStatsRepo } from '../../db/events-repo';
import { DB_FILE, type DB, statementCount } from '../../db/open';
import { isOneOf, JOB_STATUSES, READY_TASK_STATUSES, TASK_STATUSES, WORKER_STATUSES } from '../support/statuses';
import type { EventRow } from './feed';
import { MAX_REFUSALS } from './webhooks';

/** Upper bounds of the request-duration buckets, in seconds. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The worker route whose answers count as task updates. */
const TASK_UPDATE_ROUTE = '/tasks/:task/update';

/** A worker that registered and never signed on has status "": shown as this label value. */
const NO_STATUS_LABEL = 'registered';

const COUNTERS = {
  tasks_assigned: 'Tasks handed to a worker (queued or soft-failed to active).',
  task_failures: 'Tasks that failed for good.',
  task_soft_failures: 'Task failures after which the task is retried by another worker.',
  worker_timeouts: 'Workers marked timeout because the manager stopped hearing from them.',
  webhook_deliveries: 'Webhook deliveries the receiver accepted (2xx).',
  webhook_failures: 'Webhook delivery attempts that failed (retried, unless the delivery is given up).',
  webhook_given_up: `Webhook deliveries given up because the receiver refused them (3xx, 400, 413, 415, 422) ${MAX_REFUSALS} times.`,
  webhook_dropped: "Pending webhook deliveries dropped, oldest first, because their receiver's outbox was full.",
} as const;

export type CounterName = keyof typeof COUNTERS;

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Metrics {
  private readonly counters = new Map<CounterName, number>(Object.keys(COUNTERS).map((k) => [k as CounterName, 0]));
  private readonly durations = new Map<string, Histogram>();
  private taskUpdates = 0;
  private readonly stats: FarmStatsRepo;
  /** Enabled at the first scrape: CLI commands and tests that never scrape pay nothing. */
  private loopDelay?: ReturnType<typeof monitorEventLoopDelay>;

  constructor(
    db: DB,
    private readonly dataDir: string,
  ) {
    this.stats = new FarmStatsRepo(db);
  }

  add(name: CounterName, n = 1): void {
    this.counters.set(name, this.counters.get(name)! + n);
  }

  /** Counts what the journal says happened (an EventFeed listener). */
  readonly onEvents = (events: readonly EventRow[]): void => {
    for (const e of events) {
      if (e.kind === 'task') {
        if (e.status === 'active' && isOneOf(READY_TASK_STATUSES, e.previous)) this.add('tasks_assigned');
        else if (e.status === 'failed') this.add('task_failures');
        else if (e.status === 'soft-failed') this.add('task_soft_failures');
      } else if (e.kind === 'worker' && e.status === 'timeout' && e.previous !== 'timeout') {
        this.add('worker_timeouts');
      }
    }
  };

  /** One answered HTTP request; `route` is the route's pattern (never the raw URL, whose ids would make endless series). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`;
    let h = this.durations.get(key);
    if (!h) {
      h = { buckets: new Array<number>(DURATION_BUCKETS.length).fill(0), sum: 0, count: 0 };
      this.durations.set(key, h);
    }
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= DURATION_BUCKETS[i]!) h.buckets[i]!++;
    h.sum += seconds;
    h.count++;
    if (route === TASK_UPDATE_ROUTE && status < 300) this.taskUpdates++;
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    if (statementCount.enabled) {
      // Read before this scrape's own queries.
      family('flamenco_sql_statements_total', 'counter', 'SQL statements run (counted with FLAMENCO_MGR_COUNT_STATEMENTS=1 only).');
      out.push(`flamenco_sql_statements_total ${statementCount.total}`);
    }
    const gauge = (name: string, help: string, statuses: readonly string[], values: Record<string, number>) => {
      family(name, 'gauge', help);
      for (const s of statuses) out.push(`${name}${labels({ status: s === '' ? NO_STATUS_LABEL : s })} ${values[s] ?? 0}`);
    };
    gauge('flamenco_jobs', 'Jobs by status.', JOB_STATUSES, this.stats.jobsByStatus());
    gauge('flamenco_tasks', 'Tasks by status.', TASK_STATUSES, this.stats.tasksByStatus());
    gauge('flamenco_workers', 'Registered workers by status ("registered": never signed on).', WORKER_STATUSES, this.stats.workersByStatus());
    family('flamenco_workers_by_version', 'gauge', 'Registered workers by generation (v2: Flamenco Worker 2.5, v3: Flamenco 3 Worker) and software version.');
    const versions = new Map<string, number>();
    for (const r of this.stats.workersBySoftware()) {
      // Versions from User-Agents: cut short, so that a strange one cannot make the page long.
      const key = `${r.generation}\n${softwareVersion(r.software).slice(0, 64)}`;
      versions.set(key, (versions.get(key) ?? 0) + r.n);
    }
    for (const [key, n] of versions) {
      const [generation, version] = key.split('\n') as [string, string];
      out.push(`flamenco_workers_by_version${labels({ generation, version })} ${n}`);
    }

    for (const [name, help] of Object.entries(COUNTERS)) {
      family(`flamenco_${name}_total`, 'counter', help);
      out.push(`flamenco_${name}_total ${this.counters.get(name as CounterName)}`);
    }
    family('flamenco_task_updates_total', 'counter', 'Task updates from workers that were accepted.');
    out.push(`flamenco_task_updates_total ${this.taskUpdates}`);

    family('flamenco_http_request_duration_seconds', 'histogram', "Time from a request's arrival to its answer, by method and route pattern.");
    for (const [key, h] of [...this.durations].sort(([a], [b]) => a.localeCompare(b))) {
      const [method, route] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
      DURATION_BUCKETS.forEach((le, i) => {
        out.push(`flamenco_http_request_duration_seconds_bucket${labels({ method, route, le: num(le) })} ${h.buckets[i]}`);
      });
      out.push(`flamenco_http_request_duration_seconds_bucket${labels({ method, route, le: '+Inf' })} ${h.count}`);
      out.push(`flamenco_http_request_duration_seconds_sum${labels({ method, route })} ${num(h.sum)}`);
      out.push(`flamenco_http_request_duration_seconds_count${labels({ method, route })} ${h.count}`);
    }

    family('flamenco_database_size_bytes', 'gauge', 'Size of the SQLite database file and its write-ahead log.');
    for (const [file, suffix] of [
      ['main', ''],
      ['wal', '-wal'],
    ] as const) {
      out.push(`flamenco_database_size_bytes${labels({ file })} ${fileSize(path.join(this.dataDir, DB_FILE + suffix))}`);
    }

    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    family('process_cpu_seconds_total', 'counter', 'User and system CPU time spent by serve.');
    out.push(`process_cpu_seconds_total ${num((cpu.user + cpu.system) / 1e6)}`);
    family('process_resident_memory_bytes', 'gauge', 'Resident memory size.');
    out.push(`process_resident_memory_bytes ${mem.rss}`);
    family('process_start_time_seconds', 'gauge', 'Start time of the process since the epoch.');
    out.push(`process_start_time_seconds ${num(Math.round((Date.now() - process.uptime() * 1000) / 10) / 100)}`);
    const fds = openFds();
    if (fds !== undefined) {
      family('process_open_fds', 'gauge', 'Open file descriptors (sockets included).');
      out.push(`process_open_fds ${fds}`);
    }
    family('nodejs_heap_used_bytes', 'gauge', 'JavaScript heap in use.');
    out.push(`nodejs_heap_used_bytes ${mem.heapUsed}`);
    if (this.loopDelay) {
      family('nodejs_eventloop_delay_p99_seconds', 'gauge', "99th percentile of the event loop's delay since the last scrape.");
      out.push(`nodejs_eventloop_delay_p99_seconds ${num(this.loopDelay.percentile(99) / 1e9)}`);
      this.loopDelay.reset();
    } else {
      this.loopDelay = monitorEventLoopDelay({ resolution: 20 });
      this.loopDelay.enable();
    }
    return out.join('\n') + '\n';
  }

  close(): void {
    this.loopDelay?.disable();
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
