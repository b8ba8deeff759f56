// Versioned schema. Each entry moves the database from version i to i+1 (PRAGMA user_version).
// Never edit a released migration: add a new one.

export const MIGRATIONS: readonly string[] = [
  /* 1: initial schema */ `
  CREATE TABLE workers (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    nickname TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    platform TEXT NOT NULL DEFAULT '',
    software TEXT NOT NULL DEFAULT '',
    supported_task_types TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
    tags TEXT NOT NULL DEFAULT '[]',                  -- JSON array of strings
    status TEXT NOT NULL DEFAULT '',
    status_requested TEXT NOT NULL DEFAULT '',
    lazy_status_request INTEGER NOT NULL DEFAULT 0,
    current_task TEXT,
    current_task_status TEXT,
    current_task_updated INTEGER,
    created INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
  );
  -- The timeout checker looks for workers unseen since a deadline, per status.
  CREATE INDEX workers_status_seen ON workers(status, last_seen);

  CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    job_type TEXT NOT NULL,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    metadata TEXT NOT NULL DEFAULT '{}',
    tag TEXT,
    activity TEXT NOT NULL DEFAULT '',
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    last_output TEXT
  );
  CREATE INDEX jobs_status ON jobs(status);

  -- Per-job task counts per status, kept in step with every task status change so that job
  -- status decisions and queue-status never count a large job's tasks.
  CREATE TABLE job_task_counts (
    job_id TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (job_id, status)
  ) WITHOUT ROWID;

  CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY,                 -- creation order, the last tie-breaker of scheduling
    id TEXT NOT NULL UNIQUE,
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    job_seq INTEGER NOT NULL,                -- copies of job fields the scheduler orders by
    job_priority INTEGER NOT NULL,
    job_tag TEXT,
    name TEXT NOT NULL,
    task_type TEXT NOT NULL,
    priority INTEGER NOT NULL,
    status TEXT NOT NULL,
    commands TEXT NOT NULL,                  -- JSON array of {name, settings}
    pending_parents INTEGER NOT NULL DEFAULT 0,  -- parents not yet completed
    worker_id TEXT,
    activity TEXT NOT NULL DEFAULT '',
    log_tail TEXT NOT NULL DEFAULT '',
    task_progress INTEGER NOT NULL DEFAULT 0,
    command_idx INTEGER NOT NULL DEFAULT 0,
    command_progress INTEGER NOT NULL DEFAULT 0,
    metrics TEXT NOT NULL DEFAULT '{}',
    last_worker_ping INTEGER,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    ready INTEGER GENERATED ALWAYS AS (status IN ('queued', 'soft-failed') AND pending_parents = 0) VIRTUAL
  );
  -- The scheduler walks this index in dispatch order for one task type and stops at the first
  -- task the worker may run: a search, never a scan of the whole table.
  CREATE INDEX tasks_dispatch ON tasks(task_type, job_priority DESC, priority DESC, job_seq, seq) WHERE ready = 1;
  CREATE INDEX tasks_job_status ON tasks(job_id, status);
  CREATE INDEX tasks_worker_status ON tasks(worker_id, status) WHERE worker_id IS NOT NULL;
  CREATE INDEX tasks_active_ping ON tasks(last_worker_ping) WHERE status = 'active';

  CREATE TABLE task_parents (
    task_id TEXT NOT NULL,
    parent_id TEXT NOT NULL,
    PRIMARY KEY (task_id, parent_id)
  ) WITHOUT ROWID;
  CREATE INDEX task_parents_parent ON task_parents(parent_id);

  CREATE TABLE task_failures (
    task_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    identifier TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (task_id, worker_id)
  ) WITHOUT ROWID;
  CREATE INDEX task_failures_worker ON task_failures(worker_id);

  CREATE TABLE blocklist (
    job_id TEXT NOT NULL,
    task_type TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (job_id, task_type, worker_id)
  ) WITHOUT ROWID;

  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  /* 2: sleep schedules */ `
  CREATE TABLE sleep_schedules (
    worker_id TEXT PRIMARY KEY REFERENCES workers(id) ON DELETE CASCADE,
    days TEXT NOT NULL,            -- space-separated two-letter days, empty = every day
    start_minute INTEGER NOT NULL, -- minutes after local midnight
    end_minute INTEGER NOT NULL,   -- may be before start_minute: the window crosses midnight
    updated INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  /* 3: where a job was submitted from (the Blender add-on names its platform) */ `
  ALTER TABLE jobs ADD COLUMN submitter_platform TEXT;
  `,
];
