// Databases for the scenarios, written directly with the product's own code (job submission and
// the worker repository) before or beside `serve`: much faster than submitting over HTTP.
import { systemClock } from '../../src/core/support/clock';
import { defaultConfig } from '../../src/core/support/config';
import { objectIdGenerator } from '../../src/core/support/ids';
import { Manager } from '../../src/core/manager';
import { hashSecret } from '../../src/core/protocol/secrets';
import { newWorkerRecord } from '../../src/core/protocol/workers';
import { openDatabase } from '../../src/db/open';
import { randomSecret, type WorkerIdentity } from './loadgen';

/** Deterministic pseudo-random numbers (mulberry32), so every run builds the same queue. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Task types of the queue and their share of the tasks. */
export const TASK_TYPE_MIX: readonly [string, number][] = [
  ['blender-render', 0.6],
  ['exr-merge', 0.15],
  ['file-management', 0.15],
  ['video-encoding', 0.1],
];
export const ALL_TYPES = TASK_TYPE_MIX.map(([t]) => t);
/** A quarter of the dispatch workers runs only these (render nodes without ffmpeg, say). */
export const RENDER_ONLY_TYPES = ['blender-render', 'exr-merge'];
/**
 * The same farm of Flamenco 3 workers: they announce Flamenco 3's task types, which cover
 * blender-render, file-management and video-encoding (exr-merge has no Flamenco 3 equivalent, so
 * its tasks, and the jobs' last tasks that wait for them, stay for Worker 2.5).
 */
export const F3_ALL_TYPES = ['blender', 'ffmpeg', 'file-management', 'misc'];
export const F3_RENDER_ONLY_TYPES = ['blender'];
/** Workers that can run nothing in the queue (idle background workers of the scale scenario). */
export const ABSENT_TYPES = ['unsupported-in-this-queue'];

const JOB_PRIORITIES = [30, 50, 50, 50, 70, 90];
const TASK_PRIORITIES = [0, 0, 0, 10, 50];

function commandsFor(type: string, job: number, i: number): { name: string; settings: Record<string, unknown> }[] {
  const shot = `/shared/projects/sprite/shots/shot-${String(job).padStart(3, '0')}`;
  switch (type) {
    case 'blender-render':
      return [
        {
          name: 'blender_render',
          settings: { blender_cmd: '{blender}', filepath: `${shot}/lighting.blend`, format: 'OPEN_EXR', render_output: `${shot}/frames__intermediate/######`, frames: `${i + 1}` },
        },
      ];
    case 'exr-merge':
      return [{ name: 'exr_merge', settings: { blender_cmd: '{blender}', input1: `${shot}/a/${i}.exr`, input2: `${shot}/b/${i}.exr`, output: `${shot}/merged/${i}.exr` } }];
    case 'video-encoding':
      return [{ name: 'create_video', settings: { ffmpeg_cmd: '{ffmpeg}', input_files: `${shot}/frames/*.png`, output_file: `${shot}/preview-${i}.mkv`, fps: 24 } }];
    default:
      return [{ name: 'move_to_final', settings: { src: `${shot}/frames__intermediate/${i}`, dest: `${shot}/frames/${i}` } }];
  }
}

function pickType(r: number): string {
  let acc = 0;
  for (const [t, share] of TASK_TYPE_MIX) {
    acc += share;
    if (r < acc) return t;
  }
  return TASK_TYPE_MIX[0]![0];
}

export interface QueueJob {
  id: string;
  priority: number;
  tasks: number;
}

/**
 * Fills a data directory's database with `tasks` queued tasks in `jobs` custom jobs of mixed job
 * and task priorities and task types; the last task of each job waits for all the others (like a
 * render job's move-to-final).
 */
export function buildQueue(dataDir: string, tasks: number, jobs: number, seed = 12345): { jobs: QueueJob[]; ms: number } {
  const t0 = Date.now();
  const random = rng(seed);
  const db = openDatabase(dataDir);
  try {
    // Jobs as large as the scenario asks (20 000 tasks), past the default max_tasks_per_job: the
    // figures stay comparable with those measured before that limit.
    const m = new Manager({ db, dataDir, config: { ...defaultConfig(), max_tasks_per_job: Math.max(tasks, 1) } });
    const out: QueueJob[] = [];
    let left = tasks;
    for (let j = 0; j < jobs && left > 0; j++) {
      const n = Math.max(1, Math.min(left, Math.round(left / (jobs - j))));
      left -= n;
      const list: Record<string, unknown>[] = [];
      for (let i = 0; i < n - 1; i++) {
        const type = pickType(random());
        list.push({
          name: `${type}-${i}`,
          task_type: type,
          priority: TASK_PRIORITIES[Math.floor(random() * TASK_PRIORITIES.length)]!,
          commands: commandsFor(type, j, i),
        });
      }
      list.push({
        name: 'move-to-final',
        task_type: 'file-management',
        priority: 0,
        parents: list.map((t) => t.name as string),
        commands: commandsFor('file-management', j, n),
      });
      const priority = JOB_PRIORITIES[Math.floor(random() * JOB_PRIORITIES.length)]!;
      const r = m.jobs.submit({ name: `bench job ${j}`, job_type: 'custom', priority, metadata: { project: 'bench' }, tasks: list });
      out.push({ id: r.id, priority, tasks: r.tasks });
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { jobs: out, ms: Date.now() - t0 };
  } finally {
    db.close();
  }
}

/** One scrypt hash shared by all directly created workers (they all get the same secret). */
export async function sharedSecret(): Promise<{ secret: string; hash: string }> {
  const secret = randomSecret();
  return { secret, hash: await hashSecret(secret) };
}

/**
 * Creates workers straight in the database (status "" = registered, never signed on), as
 * /register-worker would, but without a scrypt hash each. Safe while serve runs: it is one
 * short write transaction like any CLI command.
 */
export function insertWorkers(
  dataDir: string,
  count: number,
  shared: { secret: string; hash: string },
  types: string[],
  prefix: string,
): { workers: WorkerIdentity[]; ms: number } {
  const t0 = Date.now();
  const db = openDatabase(dataDir);
  try {
    const m = new Manager({ db, dataDir });
    const newId = objectIdGenerator(systemClock);
    const workers: WorkerIdentity[] = [];
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const w = newWorkerRecord({
          id: newId(),
          secret_hash: shared.hash,
          nickname: `${prefix}-${i}`,
          platform: 'linux',
          supported_task_types: types,
          caller: { address: '127.0.0.1', software: 'Flamenco-Worker/2.5.0' },
          now,
        });
        m.repos.workers.insert(w);
        workers.push({ id: w.id, secret: shared.secret, nickname: w.nickname, types, platform: 'linux' });
      }
    }).immediate();
    return { workers, ms: Date.now() - t0 };
  } finally {
    db.close();
  }
}
