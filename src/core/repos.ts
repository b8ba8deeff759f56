// The repositories one manager works with, opened on one database.
import { JobsRepo } from '../db/jobs-repo';
import type { DB } from '../db/open';
import { type AtomicWrite, atomicWriter } from '../db/tx';
import { SchedulesRepo } from '../db/schedules-repo';
import { SettingsRepo } from '../db/settings-repo';
import { TasksRepo } from '../db/tasks-repo';
import { WorkersRepo } from '../db/workers-repo';

export interface Repos {
  db: DB;
  /** Runs fn as one atomic write (see db/tx.ts). */
  write: AtomicWrite;
  workers: WorkersRepo;
  tasks: TasksRepo;
  jobs: JobsRepo;
  settings: SettingsRepo;
  schedules: SchedulesRepo;
}

export function createRepos(db: DB): Repos {
  return { db, write: atomicWriter(db), workers: new WorkersRepo(db), tasks: new TasksRepo(db), jobs: new JobsRepo(db), settings: new SettingsRepo(db), schedules: new SchedulesRepo(db) };
}
