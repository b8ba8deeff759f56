// The Node.js versions the program runs on: the major of package.json's "engines" (the SQLite addon
// is built for that ABI). bin/flamenco-mgr applies the same rule (test/package/node-flags.test.ts).
export const MIN_NODE_MAJOR = 24;

/** Why this Node cannot run the program, or undefined when it can. */
export function unsupportedNode(version: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return `needs Node.js ${MIN_NODE_MAJOR} or newer, but runs on Node.js ${version}; use the single executable, bin/flamenco-mgr, or 'npm start', which bring their own Node ${MIN_NODE_MAJOR}`;
}
