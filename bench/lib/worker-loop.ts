// The simulated farm at work: every worker loops POST /task → its updates of the task (Worker
// 2.5: active, completed with a 2 KB log; Flamenco 3: started, log, step, completed), as the
// dispatch and watched scenarios both drive it.
import type { Stop } from './context';
import { now, type Response, type SimWorker } from './loadgen';
import type { Recorder } from './stats';

export interface LoopRecorders {
  task: Recorder;
  active: Recorder;
  completed: Recorder;
  /** One sample per full cycle: from /task to the completed update's answer. */
  cycles: Recorder;
}

export function runWorkerLoops(
  workers: readonly SimWorker[],
  recs: LoopRecorders,
  stop: Stop,
  hardStop: number,
  /** Told of every /task answer without a task. */
  onNoTask?: (w: SimWorker, r: Response) => void,
): Promise<unknown> {
  return Promise.all(
    workers.map(async (w) => {
      while (!stop.stopped && now() < hardStop) {
        const r = await w.fetchTask(recs.task);
        if (r.status === 200 && w.task) {
          const c = await w.runTask(w.task, recs);
          w.task = undefined;
          recs.cycles.add(r.start, c.start + c.ms - r.start, c.status);
        } else {
          onNoTask?.(w, r);
          // The real worker waits before asking again after an empty answer or an error.
          await stop.sleep(r.status === 204 ? 250 : 1000);
        }
      }
    }),
  );
}
