import { describe, expect, it } from 'vitest';
import { parseNetworks } from '../../src/core/support/networks';
import { statementCount } from '../../src/db/open';
import { JOB_STATUSES, TASK_STATUSES } from '../../src/core/support/statuses';
import { ADMIN_TOKEN, registerWorker, request, testManager, testServer } from '../helpers/env';
import { parseExposition, sampleValue } from '../helpers/exposition';
import { claim, submitJob } from '../helpers/protocol';
import { registerF3 } from '../helpers/f3-worker';

async function scrape(url: string, headers: Record<string, string> = {}) {
  const r = await request(url, 'GET', '/metrics', { headers });
  expect(r.status, r.text).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return { text: r.text, families: parseExposition(r.text) };
}

describe('/metrics', () => {
  it('counts SQL statements only when asked to (FLAMENCO_MGR_COUNT_STATEMENTS=1, the bench)', async () => {
    const plain = await testServer();
    expect((await scrape(plain.url)).families.has('flamenco_sql_statements_total')).toBe(false);
    statementCount.enabled = true;
    try {
      const s = await testServer();
      const w = await registerWorker(s.url);
      const before = sampleValue((await scrape(s.url)).families, 'flamenco_sql_statements_total')!;
      const afterScrape = sampleValue((await scrape(s.url)).families, 'flamenco_sql_statements_total')!;
      expect((await w.call('POST', '/task')).status).toBe(204);
      const afterPoll = sampleValue((await scrape(s.url)).families, 'flamenco_sql_statements_total')!;
      // The poll's own statements: more than none, on top of what a scrape reads.
      expect(afterPoll - afterScrape).toBeGreaterThan(afterScrape - before);
    } finally {
      statementCount.enabled = false;
    }
  });

  it('parses by the exposition-format rules and has a series for every status, zero or not', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }]);
    const { families } = await scrape(s.url);
    for (const st of JOB_STATUSES) expect(sampleValue(families, 'flamenco_jobs', { status: st }), st).toBe(st === 'queued' ? 1 : 0);
    for (const st of TASK_STATUSES) expect(sampleValue(families, 'flamenco_tasks', { status: st }), st).toBe(st === 'queued' ? 1 : 0);
    expect(sampleValue(families, 'flamenco_workers', { status: 'awake' })).toBe(0);
    expect(sampleValue(families, 'flamenco_workers', { status: 'registered' })).toBe(0);
    expect(sampleValue(families, 'flamenco_database_size_bytes', { file: 'main' })).toBeGreaterThan(0);
    expect(sampleValue(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
  });

  it('counts assignments, updates, soft and hard failures and worker timeouts, also those made outside serve', async () => {
    const s = await testServer({ config: { task_fail_after_softfail_count: 2, job_fail_share: 1 } });
    submitJob(s, [{ name: 'a' }, { name: 'b' }]);
    const w1 = await registerWorker(s.url);
    const w2 = await registerWorker(s.url);
    const t = await claim(w1);
    expect((await w1.call('POST', `/tasks/${t._id}/update`, { activity: 'rendering', task_progress_percentage: 10 })).status).toBe(204);
    expect((await w1.call('POST', `/tasks/${t._id}/update`, { task_status: 'failed' })).status).toBe(204);
    const again = await claim(w2);
    expect((await w2.call('POST', `/tasks/${again._id}/update`, { task_status: 'failed' })).status).toBe(204);
    // Another process on the same database (as a CLI command would be) times the workers out.
    const other = testManager({ dataDir: s.dataDir, clock: s.clock, config: s.config });
    s.clock.advance(s.config.worker_timeout_ms + 1000);
    expect(other.manager.timeouts.check().workers).toBe(2);
    s.manager.observe.feed.poll();

    const { families } = await scrape(s.url);
    expect(sampleValue(families, 'flamenco_tasks_assigned_total')).toBe(2);
    expect(sampleValue(families, 'flamenco_task_updates_total')).toBe(3);
    expect(sampleValue(families, 'flamenco_task_soft_failures_total')).toBe(1);
    expect(sampleValue(families, 'flamenco_task_failures_total')).toBe(1);
    expect(sampleValue(families, 'flamenco_worker_timeouts_total')).toBe(2);
    expect(sampleValue(families, 'flamenco_webhook_deliveries_total')).toBe(0);
    expect(sampleValue(families, 'flamenco_webhook_failures_total')).toBe(0);
  });

  it('has a request-duration histogram by route pattern, never by raw URL', async () => {
    const s = await testServer();
    const { ids } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    await claim(w);
    await w.call('POST', `/tasks/${ids.a}/update`, { activity: 'x' });
    await request(s.url, 'GET', '/no/such/thing');
    const { text, families } = await scrape(s.url);
    expect(text).not.toContain(ids.a);
    const h = 'flamenco_http_request_duration_seconds';
    expect(families.get(h)?.type).toBe('histogram');
    expect(sampleValue(families, `${h}_count`, { method: 'POST', route: '/tasks/:task/update' })).toBe(1);
    expect(sampleValue(families, `${h}_count`, { method: 'POST', route: '/task' })).toBe(1);
    expect(sampleValue(families, `${h}_count`, { method: 'GET', route: 'unmatched' })).toBe(1);
  });

  it('needs the admin token from outside trusted_networks', async () => {
    const s = await testServer({ config: { trusted_networks: parseNetworks(['10.0.0.0/8']) } });
    expect((await request(s.url, 'GET', '/metrics')).status).toBe(401);
    await scrape(s.url, { Authorization: `Bearer ${ADMIN_TOKEN}` });
  });
});

describe('the exposition reader used above', () => {
  it('refuses what Prometheus would refuse', () => {
    const bad = [
      'x 1',
      '# TYPE x gauge\nx{a="1} 1',
      '# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{b="2"} 2',
      '# TYPE x gauge\nx 1\nx 2',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1',
      '# TYPE x gauge\nx one',
    ];
    for (const b of bad) expect(() => parseExposition(b + '\n'), b).toThrow();
    expect(() => parseExposition('# TYPE x gauge\nx 1')).toThrow();
  });
});

describe('/metrics: worker generations', () => {
  it('counts workers by generation and software version', async () => {
    const s = await testServer();
    await registerWorker(s.url);
    await registerWorker(s.url);
    await registerF3(s.url);
    const { families } = await scrape(s.url);
    expect(sampleValue(families, 'flamenco_workers_by_version', { generation: 'v2', version: '2.5' })).toBe(2);
    expect(sampleValue(families, 'flamenco_workers_by_version', { generation: 'v3', version: '3.9-beta1 (cf286e71)' })).toBe(1);
  });
});
