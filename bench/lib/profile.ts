// Summaries of a V8 .cpuprofile (node --cpu-prof): where serve spends its time.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileEntry {
  fn: string;
  selfPct: number;
  totalPct: number;
}

function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const file = url ? path.basename(url.replace(/^file:\/\//, '')) : '';
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

/** Top functions by self time and by total (inclusive) time, in % of all samples. */
export function summarizeProfile(file: string, top = 25): { self: ProfileEntry[]; total: ProfileEntry[]; seconds: number } {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, number>();
  if (prof.samples) for (const s of prof.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  else for (const n of prof.nodes) hits.set(n.id, n.hitCount ?? 0);
  let all = 0;
  for (const h of hits.values()) all += h;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const [id, h] of hits) {
    const node = byId.get(id)!;
    const l = label(node);
    self.set(l, (self.get(l) ?? 0) + h);
    // Inclusive: every distinct function on the stack of this sample, once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cl = label(byId.get(cur)!);
      if (seen.has(cl)) continue;
      seen.add(cl);
      total.set(cl, (total.get(cl) ?? 0) + h);
    }
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn]) => ({ fn, selfPct: pct(self.get(fn) ?? 0, all), totalPct: pct(total.get(fn) ?? 0, all) }));
  return { self: rank(self), total: rank(total).filter((e) => !/^\((root|program)\)/.test(e.fn)), seconds: (prof.endTime - prof.startTime) / 1e6 };
}

function pct(h: number, all: number): number {
  return all ? Math.round((h / all) * 1000) / 10 : 0;
}

export function profilesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export function formatProfile(name: string, s: ReturnType<typeof summarizeProfile>): string {
  const lines = [`profile of serve, ${name} (${s.seconds.toFixed(1)} s):`, '  self%  total%  function'];
  for (const e of s.self) lines.push(`  ${e.selfPct.toFixed(1).padStart(5)}  ${e.totalPct.toFixed(1).padStart(6)}  ${e.fn}`);
  lines.push('  -- by total (inclusive) time --');
  for (const e of s.total) lines.push(`  ${e.selfPct.toFixed(1).padStart(5)}  ${e.totalPct.toFixed(1).padStart(6)}  ${e.fn}`);
  return lines.join('\n');
}

/**
 * Self time by layer, in % of all samples: each sample's function, found in the bundle's source
 * map, counted to the folder of src/ it comes from (src/db is where every SQL statement runs:
 * better-sqlite3's native calls count to the JavaScript function that made them), to the
 * libraries, to Node's own JavaScript (node:http, net, streams, fs), to natives without a frame of
 * their own (system calls such as a socket write or a file open), the garbage collector, or idle.
 */
export function layersOf(file: string): { layer: string; pct: number }[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string): SourceMap | undefined => {
    if (!maps.has(url)) {
      const js = url.replace(/^file:\/\//, '');
      maps.set(url, existsSync(`${js}.map`) ? new SourceMap(JSON.parse(readFileSync(`${js}.map`, 'utf8'))) : undefined);
    }
    return maps.get(url);
  };
  const layerOf = (n: ProfileNode): string => {
    const { functionName, url, lineNumber } = n.callFrame;
    if (/^\((garbage collector|idle|program|root)\)$/.test(functionName)) return functionName;
    if (!url) return 'natives (system calls, V8 built-ins)';
    if (url.startsWith('node:') || !url.includes('/')) return "Node's JavaScript (node:http, net, streams, fs)";
    const col = (n.callFrame as { columnNumber?: number }).columnNumber ?? 0;
    const src = mapOf(url)?.findEntry(lineNumber, col);
    const origin = src && 'originalSource' in src ? src.originalSource : url;
    const m = /(?:^|\/)(src\/[a-z-]+|node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(origin);
    return m ? m[1]! : 'other';
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  if (prof.samples) for (const s of prof.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  else for (const n of prof.nodes) hits.set(n.id, n.hitCount ?? 0);
  let all = 0;
  const layers = new Map<string, number>();
  for (const [id, h] of hits) {
    all += h;
    const l = layerOf(byId.get(id)!);
    layers.set(l, (layers.get(l) ?? 0) + h);
  }
  return [...layers.entries()].sort((a, b) => b[1] - a[1]).map(([layer, h]) => ({ layer, pct: pct(h, all) }));
}

export function formatLayers(layers: { layer: string; pct: number }[]): string {
  return ['  -- self time by layer --', ...layers.map((l) => `  ${l.pct.toFixed(1).padStart(5)}  ${l.layer}`)].join('\n');
}
