// The version is package.json's (bundled in); the commit is filled in by build.mjs (esbuild
// define), with a fallback for tests that run the sources directly.
import pkg from '../package.json';

declare const __COMMIT__: string | undefined;

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof __COMMIT__ === 'string' ? __COMMIT__ : 'unknown';
