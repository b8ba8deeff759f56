// Bounds on the images Flamenco 3 workers send to output-produced, checked from the headers
// before a byte of the image is read: its length must be declared (411) and within the limit
// (413), its type one a browser shows (415), and each worker sends at most one image a second,
// with at most a few being read at once farm-wide (429; the worker logs it and sends its next
// image later, keeping only the newest).
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../core/support/clock';
import { HttpError, retryAfter } from './errors';

/** Flamenco 3's own limit: its worker sends JPEG previews far below it. */
export const IMAGE_MAX_BYTES = 25 * 1024 * 1024;
export const IMAGE_TYPES = ['image/jpeg', 'image/png'];
/** Per worker: the worker sends one image after each frame Blender saves. */
export const UPLOAD_INTERVAL_MS = 1000;
/** Images being read at once: memory held is at most this many times IMAGE_MAX_BYTES. */
export const UPLOADS_AT_ONCE = 4;

export function checkImageHeaders(req: IncomingMessage): void {
  const length = req.headers['content-length'];
  if (length === undefined || !/^\d+$/.test(length) || Number(length) === 0) {
    throw new HttpError(411, 'length_required', 'Content-Length header required');
  }
  if (Number(length) > IMAGE_MAX_BYTES) throw new HttpError(413, 'too_large', `image too large; should be max ${IMAGE_MAX_BYTES} bytes`);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!IMAGE_TYPES.includes(type)) throw new HttpError(415, 'unsupported_media_type', `unsupported mime type "${type.slice(0, 100)}"; send ${IMAGE_TYPES.join(' or ')}`);
}

export interface UploadPacer {
  /** Admits one image of this worker now, or throws a 429; the slot is freed when the request closes. */
  admit(workerId: string, req: IncomingMessage): void;
}

export function uploadPacer(clock: Clock): UploadPacer {
  const last = new Map<string, number>();
  let reading = 0;
  return {
    admit(workerId, req) {
      const now = clock.now();
      const wait = (last.get(workerId) ?? -Infinity) + UPLOAD_INTERVAL_MS - now;
      if (wait > 0) throw new HttpError(429, 'too_many_requests', 'one image per second, please; send the next one later', retryAfter(wait));
      if (reading >= UPLOADS_AT_ONCE) throw new HttpError(429, 'too_many_requests', 'image processing queue is full', retryAfter(UPLOAD_INTERVAL_MS));
      // Times older than the interval no longer decide anything: the map holds only recent senders.
      if (last.size > 1000) for (const [k, t] of last) if (now - t >= UPLOAD_INTERVAL_MS) last.delete(k);
      last.set(workerId, now);
      reading++;
      let freed = false;
      req.once('close', () => {
        if (!freed) reading--;
        freed = true;
      });
    },
  };
}
