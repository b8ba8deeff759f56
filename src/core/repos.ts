// The repositories one manager works with, opened on one database: one per table.
import { BlocklistRepo } from '../db/blocklist-repo';
import { ChangeMark } from '../db/change-mark';
import { JobTaskTypesRepo } from '../db/job-task-types-repo';
import { JobsRepo } from '../db/jobs-repo';
import { NamesRepo } from '../db/names-repo';
import { WaitingRepo } from '../db/waiting-repo';
import type { DB } from '../db/open';
import { SchedulesRepo } from '../db/schedules-repo';
import { SettingsRepo } from '../db/settings-repo';
import { TaskCountsRepo } from '../db/task-counts-repo';
import { TaskFailuresRepo } from '../db/task-failures-repo';
import { TaskParentsRepo } from '../db/task-parents-repo';
import { TasksRepo } from '../db/tasks-repo';
import { TaskRunsRepo } from '../db/task-runs-repo';
import { type AtomicWrite, Transactions } from '../db/tx';
import { WorkersRepo } from '../db/workers-repo';

export interface Repos {
  db: DB;
  /** The connection's transaction statements (see db/tx.ts). */
  tx: Transactions;
  /** Runs fn as one atomic write: tx.write. */
  write: AtomicWrite;
  workers: WorkersRepo;
  jobs: JobsRepo;
  taskCounts: TaskCountsRepo;
  /** Each job's task types, fixed at submission (core/jobs/stuck.ts). */
  jobTaskTypes: JobTaskTypesRepo;
  tasks: TasksRepo;
  taskParents: TaskParentsRepo;
  taskFailures: TaskFailuresRepo;
  /** Every run of every task: who ran it, when, how it ended. */
  taskRuns: TaskRunsRepo;
  blocklist: BlocklistRepo;
  settings: SettingsRepo;
  schedules: SchedulesRepo;
  /** Lookups by name and id prefix (core/names.ts). */
  names: NamesRepo;
  /** What waits in the queue (core/jobs/stuck.ts). */
  waiting: WaitingRepo;
  /** Changes whenever the database does (db/change-mark.ts). */
  changes: ChangeMark;
}

export function createRepos(db: DB): Repos {
  const tx = new Transactions(db);
  return {
    db,
    tx,
    write: tx.write,
    workers: new WorkersRepo(db),
    jobs: new JobsRepo(db),
    taskCounts: new TaskCountsRepo(db),
    jobTaskTypes: new JobTaskTypesRepo(db),
    tasks: new TasksRepo(db),
    taskParents: new TaskParentsRepo(db),
    taskFailures: new TaskFailuresRepo(db),
    taskRuns: new TaskRunsRepo(db),
    blocklist: new BlocklistRepo(db),
    settings: new SettingsRepo(db),
    schedules: new SchedulesRepo(db),
    names: new NamesRepo(db),
    waiting: new WaitingRepo(db),
    changes: new ChangeMark(db),
  };
}
