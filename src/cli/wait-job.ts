// `wait-job <id>`: blocks until a job is finished, for scripts and CI pipelines. The exit code says
// how it finished: 0 completed, 6 failed, 7 canceled.
import type { Command } from 'commander';
import type { JobStatus } from '../core/support/statuses';
import { common, type CommonOptions } from './context';
import { openClient } from './client/connect';
import { ExitCode } from './exit';
import { printJson } from './format';
import { io } from './io';
import { liveLoop, stopSignal, type WatchOptions, watchSeconds } from './live';

export const WAIT_EXIT: Partial<Record<JobStatus, number>> = { completed: 0, failed: 6, canceled: 7 };
/** Exit code when waiting was interrupted (Ctrl-C) before the job finished: 128 + SIGINT, as shells do. */
const INTERRUPTED = 130;

export function waitJobCommand(program: Command): void {
  common(
    program
      .command('wait-job <job-id>')
      .description('wait until a job is finished; exit 0 when it completed, 6 when it failed, 7 when it was canceled')
      .option('-w, --watch [seconds]', 'how often to look (default 2)'),
  ).action(async (id: string, opts: CommonOptions & WatchOptions) => {
    const every = watchSeconds({ watch: opts.watch ?? true })!;
    const c = await openClient(opts);
    const signal = stopSignal();
    try {
      let jobId = id;
      for (;;) {
        const j = await c.jobSummary(jobId);
        jobId = j.id;
        const code = WAIT_EXIT[j.status];
        if (code !== undefined) {
          if (opts.json) printJson(j);
          else io.out(`job ${j.id} (${j.name}) ${j.status}${j.activity ? `: ${j.activity}` : ''}\n`);
          if (code !== 0) throw new ExitCode(code);
          return;
        }
        if (await liveLoop.wait(every * 1000, signal.stopped)) {
          io.err(`stopped waiting; job ${j.id} is ${j.status}\n`);
          throw new ExitCode(INTERRUPTED);
        }
      }
    } finally {
      signal.dispose();
      c.close();
    }
  });
}
