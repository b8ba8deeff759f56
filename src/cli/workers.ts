import type { Command } from 'commander';
import { ownValue } from '../core/support/own';
import { io } from './io';
import { common, type CommonOptions, withManager } from './context';
import { printJson, relativeTime, table, taskLabel } from './format';

export function listWorkersCommand(program: Command): void {
  common(program.command('list-workers').description('list the registered workers')).action((opts: CommonOptions) => {
    withManager(opts, ({ manager }) => {
      const workers = manager.views.workers();
      if (opts.json) {
        printJson(workers);
        return;
      }
      if (workers.length === 0) {
        io.out('no workers registered\n');
        return;
      }
      const now = manager.clock.now();
      const rows = workers.map((w) => [
        w.id, w.nickname, w.status || '(registered)',
        w.status_requested ? `${w.status_requested}${w.lazy_status_request ? ' (lazy)' : ''}` : '-',
        w.platform, w.address, taskLabel(w.current_job_name, w.current_task_name), relativeTime(Date.parse(w.last_seen), now), w.supported_task_types.join(','),
        w.tags.join(',') || '-',
      ]);
      io.out(table(['ID', 'NICKNAME', 'STATUS', 'REQUESTED', 'PLATFORM', 'ADDRESS', 'TASK', 'LAST SEEN', 'TASK TYPES', 'TAGS'], rows) + '\n');
    });
  });
}

const WORDS: Record<string, string> = { awake: 'wake up', asleep: 'go to sleep', shutdown: 'shut down' };

export function setWorkerStatusCommand(program: Command): void {
  common(
    program
      .command('set-worker-status <worker-id> <status>')
      .description('ask a worker to become awake, asleep or shut down')
      .option('--lazy', 'let the current task finish first'),
  ).action((id: string, status: string, opts: CommonOptions & { lazy?: boolean }) => {
    withManager(opts, ({ manager }) => {
      const w = manager.workers.requestStatus(manager.names.worker(id), status, opts.lazy ?? false);
      if (opts.json) printJson({ id: w.id, status_requested: w.status_requested, lazy_status_request: w.lazy_status_request });
      else io.out(`asked worker ${w.nickname} (${w.id}) to ${ownValue(WORDS, status) ?? status}${opts.lazy ? ' after its current task' : ' now'}\n`);
    });
  });
}
