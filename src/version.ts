// Filled in by build.mjs (esbuild define); the fallbacks serve tests that import sources directly.
declare const __VERSION__: string | undefined;
declare const __COMMIT__: string | undefined;

export const VERSION: string = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
export const COMMIT: string = typeof __COMMIT__ === 'string' ? __COMMIT__ : 'unknown';
