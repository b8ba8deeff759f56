export interface DashboardFiles {
  html: string;
  css: string;
  icon: string;
  js: string;
}
export function buildDashboard(esbuild: typeof import('esbuild'), webDir: string): DashboardFiles;
