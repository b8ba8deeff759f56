// The repositories one manager works with, opened on one database.
import { JobsRepo } from '../db/jobs-repo';
import type { DB } from '../db/open';
import { type AtomicWrite, Transactions } from '../db/tx';
import { SchedulesRepo } from '../db/schedules-repo';
import { SettingsRepo } from '../db/settings-repo';
import { TasksRepo } from '../db/tasks-repo';
import { WorkersRepo } from '../db/workers-repo';

export interface Repos {
  db: DB;
  /** The connection's transaction statements (see db/tx.ts). */
  tx: Transactions;
  /** Runs fn as one atomic write: tx.write. */
  write: AtomicWrite;
  workers: WorkersRepo;
  tasks: TasksRepo;
  jobs: JobsRepo;
  settings: SettingsRepo;
  schedules: SchedulesRepo;
}

export function createRepos(db: DB): Repos {
  const tx = new Transactions(db);
  return { db, tx, write: tx.write, workers: new WorkersRepo(db), tasks: new TasksRepo(db), jobs: new JobsRepo(db), settings: new SettingsRepo(db), schedules: new SchedulesRepo(db) };
}
