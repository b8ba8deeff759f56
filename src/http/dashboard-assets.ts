// The dashboard's files. Running from the sources (tests, development) they are built from
// src/web on first use; build.mjs replaces this module in the bundle with the files it built,
// so the executable carries them and needs no esbuild.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { buildDashboard, type DashboardFiles } from '../web/bundle.mjs';

let built: DashboardFiles | undefined;

export function dashboardFiles(): DashboardFiles {
  built ??= buildDashboard(esbuild, path.join(import.meta.dirname, '..', 'web'));
  return built;
}
