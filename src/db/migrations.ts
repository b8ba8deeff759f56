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
  /* 4: the events journal */ `
  -- Every change the dashboard, the events stream and webhooks report, recorded by triggers in
  -- the transaction that makes the change: whichever process writes (serve, a CLI command) and
  -- whichever code path (one task or a job-wide bulk update), the journal has it, and a change
  -- that is rolled back leaves no event. AUTOINCREMENT: ids are never reused after pruning, so a
  -- client's Last-Event-ID never points at a different event.
  CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,            -- job | task | worker | last-rendered
    entity TEXT NOT NULL,          -- the job's, task's or worker's id
    job_id TEXT,                   -- the job of a task or of a rendered image
    status TEXT,                   -- the new status; 'deleted' when the record was removed
    previous TEXT,                 -- the status before; NULL when the record was created
    worker_id TEXT,                -- the worker of a task
    detail TEXT,                   -- job name, worker nickname, or the rendered image's path
    time INTEGER NOT NULL          -- ms since the epoch
  );

  CREATE TRIGGER events_job_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO events (kind, entity, job_id, status, previous, detail, time)
    VALUES ('job', new.id, new.id, new.status, NULL, new.name, CAST(unixepoch('subsec') * 1000 AS INTEGER));
  END;
  CREATE TRIGGER events_job_update AFTER UPDATE OF status, priority ON jobs
  WHEN old.status IS NOT new.status OR old.priority IS NOT new.priority BEGIN
    INSERT INTO events (kind, entity, job_id, status, previous, detail, time)
    VALUES ('job', new.id, new.id, new.status, old.status, new.name, CAST(unixepoch('subsec') * 1000 AS INTEGER));
  END;
  CREATE TRIGGER events_job_delete AFTER DELETE ON jobs BEGIN
    INSERT INTO events (kind, entity, job_id, status, previous, detail, time)
    VALUES ('job', old.id, old.id, 'deleted', old.status, old.name, CAST(unixepoch('subsec') * 1000 AS INTEGER));
  END;
  CREATE TRIGGER events_last_rendered AFTER UPDATE OF last_output ON jobs WHEN new.last_output IS NOT NULL BEGIN
    INSERT INTO events (kind, entity, job_id, detail, time)
    VALUES ('last-rendered', new.id, new.id, new.last_output, CAST(unixepoch('subsec') * 1000 AS INTEGER));
  END;

  -- Task creation is not journaled (a job of 100 000 tasks would be 100 000 events): the job's
  -- own event stands for them.
  CREATE TRIGGER events_task_update AFTER UPDATE OF status ON tasks WHEN old.status IS NOT new.status BEGIN
    INSERT INTO events (kind, entity, job_id, status, previous, worker_id, time)
    VALUES ('task', new.id, new.job_id, new.status, old.status, coalesce(new.worker_id, old.worker_id), CAST(unixepoch('subsec') * 1000 AS INTEGER));
  END;

  CREATE TRIGGER events_worker_insert AFTER INSERT ON workers BEGIN
    INSERT INTO events (kind, entity, status, previous, detail, time)
    VALUES ('worker', new.id, new.status, NULL, new.nickname, CAST(unixepoch('subsec') * 1000 AS INTEGER));
  END;
  -- Not current_task: a task event with its worker says the same, and assignments are the
  -- busiest write there is.
  CREATE TRIGGER events_worker_update AFTER UPDATE OF status, status_requested, lazy_status_request, nickname, tags ON workers
  WHEN old.status IS NOT new.status OR old.status_requested IS NOT new.status_requested
    OR old.lazy_status_request IS NOT new.lazy_status_request OR old.nickname IS NOT new.nickname OR old.tags IS NOT new.tags BEGIN
    INSERT INTO events (kind, entity, status, previous, detail, time)
    VALUES ('worker', new.id, new.status, old.status, new.nickname, CAST(unixepoch('subsec') * 1000 AS INTEGER));
  END;
  CREATE TRIGGER events_worker_delete AFTER DELETE ON workers BEGIN
    INSERT INTO events (kind, entity, status, previous, detail, time)
    VALUES ('worker', old.id, 'deleted', old.status, old.nickname, CAST(unixepoch('subsec') * 1000 AS INTEGER));
  END;
  `,
  /* 5: the webhook outbox */ `
  -- One row per (webhook, event): written in the same transaction that advances the relay's
  -- cursor over the events journal, so an event is queued exactly once, and kept until the
  -- receiver has accepted it, across restarts.
  CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    event TEXT NOT NULL,            -- job-status | worker-status
    event_id INTEGER NOT NULL,      -- the journal event it reports
    body TEXT NOT NULL,             -- the JSON POSTed (signed at send time)
    status TEXT NOT NULL DEFAULT 'pending',   -- pending | delivered | dropped
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,  -- ms since the epoch
    last_attempt INTEGER,
    last_error TEXT,
    created INTEGER NOT NULL
  );
  -- Deliveries go out oldest first per receiver: the head of each receiver's queue.
  CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(url, id) WHERE status = 'pending';
  -- The relay starts at the journal's present: every event from now on is considered.
  INSERT INTO settings (key, value)
  VALUES ('webhook_cursor', CAST(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS TEXT))
  ON CONFLICT (key) DO NOTHING;
  `,
  /* 6: the task a worker may get back after a restart */ `
  -- Set at sign-on to the task still active on the worker; /task hands back only this task. A
  -- worker that asks for a task without having signed on has finished its current one.
  ALTER TABLE workers ADD COLUMN resume_task TEXT;
  `,
  /* 7: webhook deliveries the receiver refuses are given up */ `
  -- How often the receiver answered that this delivery's body is wrong (400, 413, 415, 422).
  -- At webhooks.ts's MAX_REFUSALS the delivery gets status 'failed' (next to pending, delivered
  -- and dropped) and the receiver's next delivery goes out.
  ALTER TABLE webhook_deliveries ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
  -- Counted for \`webhooks\` and /api/webhooks.
  CREATE INDEX webhook_deliveries_failed ON webhook_deliveries(id) WHERE status = 'failed';
  `,
  /* 8: a page of a job's tasks */ `
  -- A job's tasks in creation order, a page at a time (the dashboard's job page, job --limit):
  -- tasks_job_status gives them by status, so without this index every task of the job was read
  -- and sorted for any page of it.
  CREATE INDEX tasks_job_seq ON tasks(job_id, seq);
  `,
  /* 9: each job's task types */ `
  -- Written at submission, one row per task type of the job with the commands of one of its
  -- tasks (tasks of one type come from one compiler step and use the same placeholders). The
  -- stuck-work warnings read these instead of grouping a job's tasks, which held serve for
  -- 25-40 ms per 100 000 queued tasks at the first farm summary after a start.
  CREATE TABLE job_task_types (
    job_id TEXT NOT NULL,
    task_type TEXT NOT NULL,
    commands TEXT NOT NULL,
    PRIMARY KEY (job_id, task_type)
  ) WITHOUT ROWID;
  INSERT INTO job_task_types (job_id, task_type, commands)
    SELECT job_id, task_type, commands FROM tasks GROUP BY job_id, task_type;
  `,
  /* 10: two worker generations */ `
  -- Whether a Flamenco 3 Worker can run the task: all its commands have a Flamenco 3 equivalent
  -- (core/protocol/dialects.ts). Decided once at submission, so dispatch filters on a column
  -- instead of translating candidates. Existing tasks get it from the same translation, through
  -- the v3_equivalent() function that migrate() provides.
  ALTER TABLE tasks ADD COLUMN v3_equivalent INTEGER NOT NULL DEFAULT 0;
  UPDATE tasks SET v3_equivalent = v3_equivalent(commands);
  -- A job's task type stands for its tasks by the commands of one of them: one that a Flamenco 3
  -- Worker cannot run when there is such a task, as submission now records, so that the
  -- stuck-work warnings can name it.
  UPDATE job_task_types SET commands = (
    SELECT t.commands FROM tasks t
    WHERE t.job_id = job_task_types.job_id AND t.task_type = job_task_types.task_type AND t.v3_equivalent = 0 LIMIT 1)
  WHERE v3_equivalent(commands) = 1 AND EXISTS (
    SELECT 1 FROM tasks t
    WHERE t.job_id = job_task_types.job_id AND t.task_type = job_task_types.task_type AND t.v3_equivalent = 0);
  -- A Flamenco 3 Worker's dispatch query walks this one: the tasks it may run, in the order of
  -- tasks_dispatch. Filtering tasks_dispatch's rows instead made every poll walk the waiting tasks
  -- without an equivalent ahead of the first with one: 52 ms per poll behind 100 000 of them.
  CREATE INDEX tasks_dispatch_v3 ON tasks(task_type, job_priority DESC, priority DESC, job_seq, seq) WHERE ready = 1 AND v3_equivalent = 1;
  -- 'v2' (Flamenco Worker 2.5, /api/flamenco/worker) or 'v3' (Flamenco 3 Worker, /api/v3/worker).
  ALTER TABLE workers ADD COLUMN generation TEXT NOT NULL DEFAULT 'v2';
  `,
  /* 11: workers that can restart */ `
  -- Said by the worker at each sign-on (Flamenco 3's can_restart); only such a worker is offered
  -- the status request "restart".
  ALTER TABLE workers ADD COLUMN can_restart INTEGER NOT NULL DEFAULT 0;
  `,
  /* 12: every run of a task */ `
  -- One row per hand-out of a task to a worker, ended when the task leaves active and
  -- cancel-requested: who ran it, when, how it ended and what the task said then. The task row
  -- keeps only its latest state; the dashboard's task page lists every run, and the job page's
  -- durations and estimated end come from here. worker_name is kept because a forgotten
  -- worker's row goes away.
  CREATE TABLE task_runs (
    id INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    worker_name TEXT NOT NULL,
    started INTEGER NOT NULL,
    ended INTEGER,
    outcome TEXT,                -- the task status the run ended in; NULL while it runs
    activity TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX task_runs_task ON task_runs(task_id, id);
  -- A job's completed runs and their durations read from the index alone (its estimated end),
  -- its first failure, and when its first run started and its last one ended (its elapsed time).
  CREATE INDEX task_runs_job_outcome ON task_runs(job_id, outcome, ended, started);
  CREATE INDEX task_runs_job_started ON task_runs(job_id, started);
  CREATE INDEX task_runs_job_ended ON task_runs(job_id, ended);
  `,
];
