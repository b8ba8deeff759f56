// POST /output-produced.
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { claim, expectError, rawRequest, submitJob } from '../helpers/protocol';

describe('POST /output-produced', { timeout: 30_000 }, () => {
  it('answers 204 and remembers the newest image per job and overall', async () => {
    const s = await testServer();
    const { jobId } = submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    await claim(w);
    const r = await w.call('POST', '/output-produced', { paths: ['/render/shot/0001.png', '/render/shot/0002.png'] });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(s.manager.repos.jobs.get(jobId)!.last_output).toBe('/render/shot/0002.png');
    expect(s.manager.repos.settings.get('last_output')).toBe('/render/shot/0002.png');

    // Reports come at most once a second per worker; one sooner is answered 204 and not kept.
    expect((await w.call('POST', '/output-produced', { paths: ['/render/shot/0003.png'] })).status).toBe(204);
    expect(s.manager.repos.jobs.get(jobId)!.last_output).toBe('/render/shot/0002.png');
    s.clock.advance(1000);
    expect((await w.call('POST', '/output-produced', { paths: ['/render/shot/0003.png'], extra: 1 })).status).toBe(204);
    expect(s.manager.repos.jobs.get(jobId)!.last_output).toBe('/render/shot/0003.png');
  });

  it('answers 204 to a worker that never had a task, and keeps nothing of what it names', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/output-produced', { paths: ['C:\\render\\x.exr'] })).status).toBe(204);
    expect(s.manager.repos.settings.get('last_output')).toBeUndefined();
  });

  it('accepts a long list of paths', async () => {
    const s = await testServer();
    submitJob(s, [{ name: 'a' }]);
    const w = await registerWorker(s.url);
    await claim(w);
    const paths = Array.from({ length: 5000 }, (_, i) => `/render/frame-${i}.png`);
    expect((await w.call('POST', '/output-produced', { paths })).status).toBe(204);
    expect(s.manager.repos.settings.get('last_output')).toBe('/render/frame-4999.png');
  });

  it.each([
    ['an empty list', '{"paths": []}'],
    ['no paths key', '{}'],
    ['paths null', '{"paths": null}'],
  ])('answers 422 "List of paths may not be empty." for %s', async (_what, body) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const r = await rawRequest(s.url, 'POST', '/output-produced', { headers: { Authorization: w.auth, 'Content-Type': 'application/json' }, body });
    expectError(r, 422, 'List of paths may not be empty.');
    expect(s.manager.repos.settings.get('last_output')).toBeUndefined();
  });

  it.each([
    ['malformed JSON', '{"paths": ['],
    ['an empty body', ''],
    ['a JSON array', '["/render/a.png"]'],
    ['JSON null', 'null'],
    ['paths as a string', '{"paths": "/render/a.png"}'],
    ['paths as an object', '{"paths": {"0": "/render/a.png"}}'],
    ['a non-string path', '{"paths": ["/render/a.png", 3]}'],
  ])('answers 400 for %s', async (_what, body) => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const r = await rawRequest(s.url, 'POST', '/output-produced', { headers: { Authorization: w.auth, 'Content-Type': 'application/json' }, body });
    expectError(r, 400);
    expect(s.manager.repos.settings.get('last_output')).toBeUndefined();
  });
});
