// The floor: the least a manager must do per task while keeping serve's promises, written as
// plainly as node:http and better-sqlite3 allow, in its own process like the bare server. Both
// worker protocols' routes, with the bench's bodies; per task: one indexed search and one UPDATE
// to hand it out, the run's log file made on the thread pool, one UPDATE per update (the log
// lines appended on the thread pool first), and the turn's writes committed once before any of
// its answers go out (an acknowledged update is in the WAL, as with serve). Worker credentials
// are checked by one Map lookup of the Authorization header. Nothing else: no events, job
// counts, blocklists, task runs, dialects, metrics or limits. What serve does beyond this is
// what its features cost; what this costs is the price of the promises on this machine.
import { close, mkdirSync, open, write } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { nativeBinding } from '../../src/db/native';
import { listenForBench } from './processes';

/** Task types of the floor's queue: every simulated worker takes all of them. */
const TYPES = ['blender-render', 'blender', 'video-encoding', 'file-management'];

/** A task document of the size and shape serve hands out for a one-command render task. */
function taskDocument(id: string, type: string, v3: boolean): string {
  const command = {
    name: v3 ? 'blender-render' : 'blender_render',
    settings: {
      blender_cmd: '{blender}',
      filepath: '/render/projects/bench/scene.blend',
      format: 'PNG',
      render_output: '/render/output/bench/######',
      frames: '1..2',
      args: ['--render-output', '/render/output/bench/######', '--render-format', 'PNG', '--render-frame', '1..2'],
    },
  };
  const doc = v3
    ? {
        uuid: id,
        job: 'job-floor',
        name: `render-${id}`,
        status: 'active',
        priority: 50,
        job_priority: 50,
        job_type: 'simple-blender-render',
        task_type: type,
        commands: [command],
      }
    : {
        _id: id,
        job: 'job-floor',
        manager: 'floor',
        project: '',
        user: '',
        name: `render-${id}`,
        status: 'active',
        priority: 50,
        job_priority: 50,
        job_type: 'blender-render',
        task_type: type,
        commands: [command],
      };
  return JSON.stringify(doc);
}

/**
 * Simple statements a full cycle of serve runs beyond the floor's (`statements`): about as many as
 * serve's features read and write per task (events, job counts, task runs, the worker's current
 * task, dependencies, the job's status, the credential and change-mark reads), each one primary-key
 * read or one counter UPDATE of a small table, so cheaper than serve's own. Half reads, half
 * writes; half run when a task is handed out, half with its last update.
 */
export const FEATURE_STATEMENTS = 36;

export function runFloorServer(dir: string, tasks: number, extraStatements = 0): void {
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const db = new Database(path.join(dir, 'floor.sqlite'), { nativeBinding: nativeBinding() as string });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE tasks (id TEXT PRIMARY KEY, type TEXT NOT NULL, priority INTEGER NOT NULL, seq INTEGER NOT NULL,
             status TEXT NOT NULL, worker TEXT, log_tail TEXT NOT NULL DEFAULT '', updated INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
           CREATE INDEX tasks_queued ON tasks(priority DESC, seq) WHERE status = 'queued';`);
  const insert = db.prepare("INSERT INTO tasks (id, type, priority, seq, status) VALUES (?, ?, ?, ?, 'queued')");
  db.transaction(() => {
    for (let i = 0; i < tasks; i++) insert.run(i.toString(16).padStart(24, '0'), TYPES[i % TYPES.length], i % 7, i);
  })();
  const next = db.prepare("SELECT id, type FROM tasks WHERE status = 'queued' ORDER BY priority DESC, seq LIMIT 1");
  const claim = db.prepare("UPDATE tasks SET status = 'active', worker = ?, updated = ? WHERE id = ?");
  const report = db.prepare('UPDATE tasks SET status = coalesce(?, status), log_tail = coalesce(?, log_tail), updated = ? WHERE id = ? AND worker = ?');
  const requeueAll = db.prepare("UPDATE tasks SET status = 'queued', worker = NULL WHERE status = 'completed'");
  db.exec('CREATE TABLE features (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
  const feature = db.prepare('INSERT INTO features (id, n) VALUES (?, 0)');
  for (let i = 1; i <= 1000; i++) feature.run(i);
  const featureRead = db.prepare('SELECT n FROM features WHERE id = ?');
  const featureWrite = db.prepare('UPDATE features SET n = n + 1 WHERE id = ?');
  /** Half of the extra statements of a cycle (see FEATURE_STATEMENTS). */
  const features = () => {
    for (let i = 0; i < extraStatements / 2; i++) (i % 2 ? featureWrite : featureRead).run(1 + Math.floor(Math.random() * 1000));
  };
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');

  // Group commit: the first write of a turn begins the transaction; answers wait for its commit.
  let waiting: (() => void)[] = [];
  const written = (answer: () => void) => {
    if (!db.inTransaction) {
      begin.run();
      setImmediate(() => {
        commit.run();
        const ready = waiting;
        waiting = [];
        for (const a of ready) a();
      });
    }
    waiting.push(answer);
  };
  const logFile = (id: string) => path.join(dir, 'logs', id.slice(-3), `${id}.txt`);
  /** open/write/close on the thread pool, as serve writes its task logs. */
  const appendLog = (file: string, data: string, flags: string, done: (err: Error | null) => void) =>
    open(file, flags, 0o600, (err, fd) => {
      if (err?.code === 'ENOENT') {
        mkdirSync(path.dirname(file), { recursive: true });
        return appendLog(file, data, flags, done);
      }
      if (err) return done(err);
      write(fd, data, null, 'utf8', (werr) => close(fd, () => done(werr)));
    });

  const known = new Map<string, string>();
  let registered = 0;
  const workerOf = (req: IncomingMessage): string | undefined => {
    const auth = req.headers.authorization;
    if (!auth) return undefined;
    let w = known.get(auth);
    if (!w) {
      w = `worker-${registered++}`;
      known.set(auth, w);
    }
    return w;
  };
  const send = (res: ServerResponse, status: number, body?: string) => {
    if (body === undefined) {
      res.writeHead(status);
      res.end();
    } else {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    }
  };

  const handOut = (worker: string, v3: boolean, res: ServerResponse) => {
    let t = next.get() as { id: string; type: string } | undefined;
    if (!t) {
      // The queue ran dry: the finished tasks are queued again (their log files stay, appended to).
      requeueAll.run();
      t = next.get() as { id: string; type: string } | undefined;
    }
    if (!t) return send(res, 204);
    const found = t;
    written(() => send(res, 200, taskDocument(found.id, found.type, v3)));
    claim.run(worker, Date.now(), found.id);
    features();
    appendLog(logFile(found.id), `${new Date().toISOString()}: Manager assigned task ${found.id} to worker ${worker}\n`, 'a', () => undefined);
  };

  const update = (worker: string, id: string, body: Buffer, v3: boolean, res: ServerResponse) => {
    let u: { task_status?: string; taskStatus?: string; log?: string };
    try {
      u = JSON.parse(body.toString('utf8')) as typeof u;
    } catch {
      return send(res, 400);
    }
    const status = (v3 ? u.taskStatus : u.task_status) ?? null;
    const apply = () => {
      written(() => send(res, 204));
      report.run(status, u.log ? u.log.slice(-4000) : null, Date.now(), id, worker);
      if (status === 'completed') features();
    };
    if (!u.log) return apply();
    appendLog(logFile(id), u.log.endsWith('\n') ? u.log : `${u.log}\n`, 'a', (err) => (err ? send(res, 503) : apply()));
  };

  const server = http.createServer({ keepAliveTimeout: 120_000, headersTimeout: 10_000, requestTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const worker = workerOf(req);
      if (!worker) return send(res, 401);
      const v3 = url.startsWith('/api/v3/worker/');
      const route = v3 ? url.slice('/api/v3/worker'.length) : url;
      if (route === '/task') return handOut(worker, v3, res);
      const m = /^\/tasks?\/([0-9a-f]{24})(\/update)?$/.exec(route);
      if (m && req.method === 'POST') return update(worker, m[1]!, Buffer.concat(chunks), v3, res);
      send(res, 204);
    });
  });
  listenForBench(server, 'floor');
}
