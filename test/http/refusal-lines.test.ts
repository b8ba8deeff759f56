// Refusals are logged at most once a minute per kind and address; many addresses (an IPv6 host
// has as many as it likes) must not get around that: at most REFUSAL_LINES_PER_KIND lines of a
// kind a minute, the rest counted into one line when the next minute begins.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/support/logger';
import { REFUSAL_LINES_PER_KIND, REFUSAL_LOG_INTERVAL_MS } from '../../src/core/support/limits';
import { testServer } from '../helpers/env';
import { rawRequest } from '../helpers/protocol';

describe('refusal log lines over many addresses', () => {
  it('writes at most the lines a kind may have in a minute, then one line with the count of the rest', async () => {
    const lines: string[] = [];
    const s = await testServer({ logger: createLogger('info', (l) => lines.push(l)) });
    const wrong = (address: string) => rawRequest(s.url, 'GET', '/api/jobs', { headers: { Authorization: 'Bearer wrong' }, localAddress: address });
    const addresses = Array.from({ length: REFUSAL_LINES_PER_KIND + 50 }, (_, i) => `127.0.${2 + Math.floor(i / 250)}.${1 + (i % 250)}`);
    for (const a of addresses) expect((await wrong(a)).status).toBe(401);
    const refused = () => lines.filter((l) => l.includes('msg="admin token refused: missing or wrong"'));
    expect(refused()).toHaveLength(REFUSAL_LINES_PER_KIND);

    s.clock.advance(REFUSAL_LOG_INTERVAL_MS);
    expect((await wrong('127.0.9.1')).status).toBe(401);
    expect(refused()).toHaveLength(REFUSAL_LINES_PER_KIND + 2);
    expect(refused()[REFUSAL_LINES_PER_KIND]).toMatch(/address=many refused_without_a_line=50 /);
    expect(refused()[REFUSAL_LINES_PER_KIND + 1]).toMatch(/address=(::ffff:)?127\.0\.9\.1/);
  });
});
