// `flamenco-mgr webhooks`: recent webhook deliveries and failures (the same as GET /api/webhooks).
import type { Command } from 'commander';
import { ValidationError } from '../core/support/errors';
import { common, type CommonOptions } from './context';
import { withClient } from './client/connect';
import { io } from './io';
import { printJson, relativeTime, table } from './format';

export function webhooksCommand(program: Command): void {
  common(
    program
      .command('webhooks')
      .description('recent webhook deliveries: delivered, pending (with the last error), failed (given up) and dropped')
      .option('--limit <n>', 'how many of the newest to show (1-1000)', '20'),
  ).action(async (opts: CommonOptions & { limit: string }) => {
    if (!/^\d{1,4}$/.test(opts.limit) || Number(opts.limit) < 1 || Number(opts.limit) > 1000) {
      throw new ValidationError(`--limit: "${opts.limit}" is not a whole number from 1 to 1000`);
    }
    await withClient(opts, async (c) => {
      const r = await c.webhooks(Number(opts.limit));
      if (opts.json) {
        printJson(r);
        return;
      }
      if (r.deliveries.length === 0) {
        io.out('no webhook deliveries yet\n');
        return;
      }
      const now = c.now();
      const at = (iso: string | null) => (iso ? relativeTime(Date.parse(iso), now) : '-');
      const rows = r.deliveries.map((d) => [
        String(d.id),
        d.event,
        d.status,
        String(d.attempts),
        at(d.last_attempt),
        d.next_attempt ? at(d.next_attempt) : '-',
        d.url,
        d.last_error ?? '',
      ]);
      // A delivery given up may be older than the newest shown: say that there are some.
      io.out(`${r.pending} pending${r.failed > 0 ? `, ${r.failed} failed` : ''}\n`);
      io.out(table(['ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST ATTEMPT', 'NEXT', 'URL', 'LAST ERROR'], rows) + '\n');
    });
  });
}
