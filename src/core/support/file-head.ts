// The first bytes of a file: a task log's first line (who ran the run), a database's header.
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Up to `bytes` bytes from the start of `file` (fewer when it is shorter); undefined when it cannot
 * be opened. A file that opens but cannot be read (a directory) throws, as reading it would.
 */
export function fileHead(file: string, bytes: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}
