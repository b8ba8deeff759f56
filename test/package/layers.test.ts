// The layers of src/ point only down, and no imports go round in a circle (docs/architecture.md).
// Read from the source text, so a new file or import is checked the moment it is written.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

const SRC = path.join(ROOT, 'src');

/** From the bottom up: a file may import its own layer and the layers below it. */
const LAYERS = ['leaf', 'support', 'db', 'core', 'http', 'serve', 'cli', 'main', 'entry'] as const;
type Layer = (typeof LAYERS)[number] | 'web';

function layerOf(rel: string): Layer {
  if (['version.ts', 'node-version.ts', 'node-flags.json'].includes(rel)) return 'leaf';
  if (rel.startsWith('core/support/')) return 'support';
  const top = rel.split('/')[0]!;
  if (top === 'main.ts') return 'main';
  if (top === 'entry.ts') return 'entry';
  if (['db', 'core', 'http', 'serve', 'cli', 'web'].includes(top)) return top as Layer;
  throw new Error(`src/${rel} is in no layer: add it to test/package/layers.test.ts and docs/architecture.md`);
}

/** What the dashboard may use of the rest: the API's document types (type-only), and support modules that import nothing (statuses, the events stream's terms, wording). */
const WEB_MAY_IMPORT = new Map([
  ['core/api-types.ts', 'type-only'],
  ['core/support/statuses.ts', 'any'],
  ['core/support/event-stream.ts', 'any'],
  ['core/support/plural.ts', 'any'],
  ['core/support/one-line.ts', 'any'],
  ['core/support/generations.ts', 'any'],
]);

/** The dashboard's build, which serve runs to bundle it (http/dashboard-assets.ts). */
const WEB_BUILD = 'web/bundle.mjs';

/** Modules only some layers may use: node:http below http/ would be HTTP in core. */
const MODULE_OWNERS: Record<string, readonly Layer[]> = {
  'node:http': ['http', 'serve', 'cli', 'main'],
  commander: ['cli', 'main'],
  'better-sqlite3': ['db'],
};

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.d.mts') ? [p] : [];
  });
}

function resolve(fromFile: string, spec: string): string {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    try {
      if (readdirSync(path.dirname(candidate)).includes(path.basename(candidate))) return path.relative(SRC, candidate);
    } catch {
      // not a directory
    }
  }
  throw new Error(`${path.relative(ROOT, fromFile)}: cannot resolve ${spec}`);
}

const IMPORT_RE = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): { relative: Import[]; modules: string[] } {
  const text = readFileSync(file, 'utf8');
  const relative: Import[] = [];
  const modules: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[4] ?? m[5]!;
    const names = m[3] ?? '';
    // `import type {…}`, or every name marked `type`: nothing of it is left at run time.
    const typeOnly =
      Boolean(m[2]) ||
      (m[5] === undefined &&
        /^\{[^}]*\}$/s.test(names.trim()) &&
        names
          .replace(/[{}\s]/g, '')
          .split(',')
          .filter(Boolean)
          .every((n) => n.startsWith('type')));
    if (!spec.startsWith('.')) {
      modules.push(spec);
      continue;
    }
    const to = resolve(file, spec);
    if (to.startsWith('..')) continue; // package.json, read for the version
    relative.push({ from: path.relative(SRC, file), to, typeOnly: typeOnly || m[5] !== undefined });
  }
  return { relative, modules };
}

const graph = files(SRC).map((f) => ({ file: path.relative(SRC, f), ...importsOf(f) }));
const edges = graph.flatMap((g) => g.relative);

/** The import cycles among these edges (strongly connected components of more than one node). */
function cycles(pairs: [string, string][]): string[][] {
  const next = new Map<string, string[]>();
  for (const [a, b] of pairs) next.set(a, [...(next.get(a) ?? []), b]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** core/<package>/… is that package; a file directly in core/ is a package of its own. */
function corePackage(rel: string): string | undefined {
  const parts = rel.split('/');
  if (parts[0] !== 'core') return undefined;
  return parts.length > 2 ? `core/${parts[1]}` : rel.replace(/\.ts$/, '');
}

describe('layers', () => {
  it('the scan finds the imports (a broken pattern would pass everything)', () => {
    expect(graph.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'core/lifecycle/state.ts', to: 'core/support/statuses.ts', typeOnly: false });
    expect(edges).toContainEqual({ from: 'http/app.ts', to: 'core/manager.ts', typeOnly: true });
    expect(graph.find((g) => g.file === 'main.ts')!.modules).toContain('commander');
  });

  it('no file imports from a layer above its own', () => {
    const upward = edges
      .filter((e) => layerOf(e.from) !== 'web' && layerOf(e.to) !== 'web')
      .filter((e) => LAYERS.indexOf(layerOf(e.to) as (typeof LAYERS)[number]) > LAYERS.indexOf(layerOf(e.from) as (typeof LAYERS)[number]))
      .map((e) => `${e.from} (${layerOf(e.from)}) → ${e.to} (${layerOf(e.to)})`);
    expect(upward).toEqual([]);
  });

  it('the dashboard imports only its own files and the modules it shares with serve; only serve builds it', () => {
    const wrong = edges
      .filter((e) => (layerOf(e.from) === 'web') !== (layerOf(e.to) === 'web'))
      .filter((e) => {
        if (layerOf(e.from) !== 'web') return !(e.to === WEB_BUILD && layerOf(e.from) === 'http');
        const allowed = WEB_MAY_IMPORT.get(e.to);
        return allowed === undefined || (allowed === 'type-only' && !e.typeOnly);
      })
      .map((e) => `${e.from} → ${e.to}${e.typeOnly ? ' (type)' : ''}`);
    expect(wrong).toEqual([]);
  });

  it('node:http, commander and better-sqlite3 are used only by the layers they belong to', () => {
    const wrong = graph.flatMap((g) =>
      g.modules.filter((m) => MODULE_OWNERS[m] && !MODULE_OWNERS[m].includes(layerOf(g.file))).map((m) => `${g.file} (${layerOf(g.file)}) imports ${m}`),
    );
    expect(wrong).toEqual([]);
  });

  it('no import cycle between files', () => {
    expect(cycles(edges.map((e) => [e.from, e.to]))).toEqual([]);
  });

  it('no import cycle between the packages of core', () => {
    const pairs = edges
      .map((e) => [corePackage(e.from), corePackage(e.to)] as const)
      .filter((p): p is readonly [string, string] => p[0] !== undefined && p[1] !== undefined && p[0] !== p[1]);
    expect(cycles(pairs.map(([a, b]) => [a, b]))).toEqual([]);
  });

  it('finds a cycle and an upward import when there is one', () => {
    expect(
      cycles([
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
        ['c', 'd'],
      ]),
    ).toEqual([['a', 'b', 'c']]);
    expect(LAYERS.indexOf('core')).toBeGreaterThan(LAYERS.indexOf(layerOf('db/open.ts') as (typeof LAYERS)[number]));
  });
});
