// Bounds on the images Flamenco 3 workers send to output-produced, checked from the headers
// before a byte of the image is read: its length must be declared (411) and within the limit
// (413), its type one a browser shows (415), and each worker sends one at a time and a few per
// window, with at most a few being read at once farm-wide (429; the worker logs it and sends its
// next image later, keeping only the newest).
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../core/support/clock';
import { WindowCounter } from '../core/support/window-counter';
import { LengthRequiredError, RateLimitedError, TooLargeError, UnsupportedMediaTypeError } from '../core/support/errors';

/** Flamenco 3's own limit: its worker sends JPEG previews far below it. */
export const IMAGE_MAX_BYTES = 25 * 1024 * 1024;
export const IMAGE_TYPES = ['image/jpeg', 'image/png'];
/**
 * Per worker: the worker sends one image at a time, after each frame Blender saves, keeping only
 * the newest while one is on its way; fast frames come in short bursts, so a few per window.
 */
export const UPLOADS_PER_WINDOW = 5;
export const UPLOAD_WINDOW_MS = 5000;
/** Images being read at once: memory held is at most this many times IMAGE_MAX_BYTES. */
export const UPLOADS_AT_ONCE = 4;

export function checkImageHeaders(req: IncomingMessage): void {
  const length = req.headers['content-length'];
  if (length === undefined || !/^\d+$/.test(length) || Number(length) === 0) {
    throw new LengthRequiredError('Content-Length header required');
  }
  if (Number(length) > IMAGE_MAX_BYTES) throw new TooLargeError(`image too large; should be max ${IMAGE_MAX_BYTES} bytes`);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!IMAGE_TYPES.includes(type)) throw new UnsupportedMediaTypeError(`unsupported mime type "${type.slice(0, 100)}"; send ${IMAGE_TYPES.join(' or ')}`);
}

export interface UploadPacer {
  /** Admits one image of this worker now, or throws a 429; the slot is freed when the request closes. */
  admit(workerId: string, req: IncomingMessage): void;
}

export function uploadPacer(clock: Clock): UploadPacer {
  const sent = new WindowCounter(clock, UPLOADS_PER_WINDOW, UPLOAD_WINDOW_MS);
  const reading = new Set<IncomingMessage>();
  const busy = new Set<string>();
  return {
    admit(workerId, req) {
      const wait = sent.blockedFor(workerId);
      if (wait > 0) throw new RateLimitedError(`at most ${UPLOADS_PER_WINDOW} images per ${UPLOAD_WINDOW_MS / 1000} s; send the next one later`, wait);
      if (busy.has(workerId)) throw new RateLimitedError('one image at a time, please', 1000);
      if (reading.size >= UPLOADS_AT_ONCE) throw new RateLimitedError('image processing queue is full', 1000);
      sent.add(workerId);
      reading.add(req);
      busy.add(workerId);
      req.once('close', () => {
        reading.delete(req);
        busy.delete(workerId);
      });
    },
  };
}
