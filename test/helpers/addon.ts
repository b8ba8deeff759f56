// The Blender add-on's recorded requests (test/fixtures/f3-addon) and a client that replays them
// byte for byte, optionally from another local address (127.0.0.2 is loopback too on Linux, so a
// test can be an "untrusted" client without leaving the machine).
import { readFileSync } from 'node:fs';
import { rawRequest } from './protocol';
import path from 'node:path';
import { addonJobTypeNamed } from '../../src/core/jobs/addon';
import type { HttpResult } from './env';

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body exactly as the add-on sent it, or null. */
  body: string | null;
}

const DIR = path.join(import.meta.dirname, '..', 'fixtures', 'f3-addon');

/** The etag the manager had when the fixtures were recorded. */
const RECORDED_ETAG = '6a95fd94c6ef756893e9e323c08fb42a9bb5efe01ce4bf58f21c5ea3393c4c74';

/**
 * The requests of one recording. The recorded etag of simple-blender-render is replaced by the
 * current one, which changes with every change of its settings (a stale one stays stale).
 */
export function recording(name: string): Recorded[] {
  const etag = addonJobTypeNamed('simple-blender-render')!.etag;
  return readFileSync(path.join(DIR, `${name}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Recorded)
    .map((r) => ({ ...r, body: r.body === null ? null : r.body.replaceAll(RECORDED_ETAG, etag) }));
}

/** The one recorded request with this method and path. */
export function recorded(name: string, method: string, pathname: string): Recorded {
  const r = recording(name).find((x) => x.method === method && x.path === pathname);
  if (!r) throw new Error(`no ${method} ${pathname} in ${name}.jsonl`);
  return r;
}

/** The recorded request with its JSON body changed by `edit`. */
export function edited(r: Recorded, edit: (body: any) => void): Recorded {
  const body = JSON.parse(r.body!);
  edit(body);
  return { ...r, body: JSON.stringify(body) };
}

export function replay(url: string, r: Recorded, opts: { localAddress?: string } = {}): Promise<HttpResult> {
  return rawRequest(url, r.method, r.path, { headers: r.headers, body: r.body ?? undefined, localAddress: opts.localAddress });
}

/** A simple-blender-render job with the settings the add-on sends for a typical scene (frames 1-10, chunks of 3). */
export function sceneJob(settings: Record<string, unknown> = {}) {
  return {
    name: 'shot12',
    job_type: 'simple-blender-render',
    settings: {
      frames: '1-10',
      chunk_size: 3,
      render_output_root: '/render/',
      add_path_components: 0,
      render_output_path: '/render/shot12/{timestamp}/######',
      blendfile: '/jobs/shot12.flamenco.blend',
      fps: 24,
      format: 'PNG',
      image_file_extension: '.png',
      has_previews: false,
      scene: 'Scene',
      ...settings,
    },
  };
}
