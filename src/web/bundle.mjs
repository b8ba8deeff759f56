// Builds the dashboard (src/web) into the three files serve sends: the page, one script and one
// style sheet. Used by build.mjs for the bundle and by src/http/dashboard-assets.ts when the
// sources run directly (tests).
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** @param {typeof import('esbuild')} esbuild @param {string} webDir */
export function buildDashboard(esbuild, webDir) {
  const out = esbuild.buildSync({
    entryPoints: [path.join(webDir, 'main.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return {
    html: readFileSync(path.join(webDir, 'index.html'), 'utf8'),
    css: readFileSync(path.join(webDir, 'app.css'), 'utf8'),
    icon: readFileSync(path.join(webDir, 'icon.svg'), 'utf8'),
    js: out.outputFiles[0].text,
  };
}
