// The process's open-file limit, read without native code: on Linux from /proc/self/limits
// (elsewhere it is not known, and nothing is said). Every connection is a file handle: with
// `ulimit -n 1024` and the default max_connections of 12 000, connections past the limit were
// reset by the kernel without serve ever seeing them.
import { readFileSync } from 'node:fs';

/** The soft limit on open files in a /proc/<pid>/limits text; undefined when absent or unlimited. */
export function openFileSoftLimit(limits: string): number | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
}

/** This process's soft limit on open files, when the system tells it. */
export function ownOpenFileLimit(): number | undefined {
  try {
    return openFileSoftLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}
