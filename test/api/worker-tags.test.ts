// The worker tag routes of the admin API: the same core calls as `worker-tags`.
import { describe, expect, it } from 'vitest';
import { registerWorker, testServer } from '../helpers/env';
import { api, expectApiError, expectJson, UNKNOWN_ID } from './helpers';

describe('/api/workers/{id}/tags', () => {
  it('shows, replaces, adds, removes and clears tags', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url, { nickname: 'render-07' });
    const base = `/api/workers/${w.id}/tags`;
    expect(expectJson(await api(s, 'GET', base))).toEqual({ id: w.id, nickname: 'render-07', tags: [] });
    expect(expectJson(await api(s, 'PUT', base, { body: { tags: ['gpu', 'linux'] } })).tags).toEqual(['gpu', 'linux']);
    expect(expectJson(await api(s, 'PUT', `${base}/eevee`)).tags).toEqual(['gpu', 'linux', 'eevee']);
    expect(expectJson(await api(s, 'DELETE', `${base}/linux`)).tags).toEqual(['gpu', 'eevee']);
    expect(expectJson(await api(s, 'GET', '/api/workers/render-07/tags')).tags).toEqual(['gpu', 'eevee']);
    expect(expectJson(await api(s, 'GET', `/api/workers/${w.id}`)).tags).toEqual(['gpu', 'eevee']);
    expect(expectJson(await api(s, 'DELETE', base)).tags).toEqual([]);
  });

  it('refuses bad tags and bodies with 400, unknown workers with 404, strangers with 401', async () => {
    const s = await testServer();
    const w = await registerWorker(s.url);
    const base = `/api/workers/${w.id}/tags`;
    expectApiError(await api(s, 'PUT', base, { body: { tags: 'gpu' } }), 400, 'tags: required, a list of tags (empty to clear)');
    expectApiError(await api(s, 'PUT', base, { body: { tags: ['a,b'] } }), 400, /^tags\[0\]: "a,b" is not a tag/);
    expectApiError(await api(s, 'PUT', `${base}/a%20b`), 400, /is not a tag/);
    expectApiError(await api(s, 'GET', `/api/workers/${UNKNOWN_ID}/tags`), 404);
    expect((await w.call('GET', base)).status).toBe(401);
    expect(expectJson(await api(s, 'GET', base)).tags).toEqual([]);
  });
});
