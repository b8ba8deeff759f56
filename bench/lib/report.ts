// The result table (scenario, metric, value, target, met?) and the JSON results file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from './stats';

export interface Row {
  scenario: string;
  metric: string;
  value: number | string;
  unit: string;
  /** Human-readable target, e.g. "≥ 40 % of baseline". */
  target?: string;
  /** true/false when there is a target; undefined when the figure is informative only. */
  met?: boolean;
}

export class Report {
  readonly rows: Row[] = [];
  readonly details: Record<string, unknown> = {};
  readonly notes: string[] = [];

  add(scenario: string, metric: string, value: number | string, unit = '', target?: string, met?: boolean): void {
    this.rows.push({ scenario, metric, value: typeof value === 'number' ? tidy(value) : value, unit, target, met });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  table(): string {
    const head = ['scenario', 'metric', 'value', 'target', 'met?'];
    const body = this.rows.map((r) => [
      r.scenario,
      r.metric,
      `${typeof r.value === 'number' ? fmt(r.value) : r.value}${r.unit ? ' ' + r.unit : ''}`,
      r.target ?? '',
      r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
  }

  /** Writes bench/results/<date>[-quick].json (or `out`) through a temporary file. */
  write(root: string, quick: boolean, out: string | undefined, extra: Record<string, unknown>): string {
    const dir = path.join(root, 'bench', 'results');
    const date = new Date().toISOString().slice(0, 10);
    const file = out ?? path.join(dir, `${date}${quick ? '-quick' : ''}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    const doc = {
      date,
      mode: quick ? 'quick' : 'full',
      machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg_at_end: os.loadavg() },
      ...extra,
      rows: this.rows,
      notes: this.notes,
      details: this.details,
    };
    writeFileSync(file + '.tmp', JSON.stringify(doc, null, 2) + '\n');
    renameSync(file + '.tmp', file);
    return file;
  }
}

/**
 * One report from several runs of the same scenarios: each figure is the median of the runs (a
 * "a / b" figure per part), and a target counts as met when most runs met it, which for a
 * threshold is the same as the median meeting it. The runs themselves go under details.runs.
 */
export function medianReport(runs: Report[]): Report {
  const out = new Report();
  const first = runs[0]!;
  for (const row of first.rows) {
    const same = runs.map((r) => r.rows.find((x) => x.scenario === row.scenario && x.metric === row.metric)).filter((x): x is Row => !!x);
    let value: number | string = row.value;
    if (typeof row.value === 'number') {
      value = median(same.map((x) => x.value as number));
    } else {
      const parts = same.map((x) => String(x.value).split(' / '));
      if (parts.every((p) => p.length === parts[0]!.length && p.every((v) => v !== '' && Number.isFinite(Number(v.replace(/,/g, '')))))) {
        value = parts[0]!.map((_, i) => String(tidy(median(parts.map((p) => Number(p[i]!.replace(/,/g, '')))))).replace(/^NaN$/, '?')).join(' / ');
      }
    }
    const verdicts = same.map((x) => x.met).filter((m): m is boolean => m !== undefined);
    const met = verdicts.length === 0 ? undefined : verdicts.filter(Boolean).length * 2 > verdicts.length;
    out.add(row.scenario, row.metric, value, row.unit, row.target, met);
  }
  for (const n of first.notes) out.note(n);
  out.details.runs = runs.map((r) => ({ rows: r.rows, details: r.details }));
  return out;
}

/** The commit the product was built from, and whether src/ differed from it: call before the run. */
export function sourceState(root: string): { commit: string; src: string } {
  return {
    commit: git(root, ['rev-parse', '--short=12', 'HEAD']),
    src: git(root, ['status', '--porcelain', '--', 'src']) ? 'src/ had uncommitted changes when the bench started' : 'src/ as committed',
  };
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function tidy(v: number): number {
  if (!Number.isFinite(v)) return v;
  if (Math.abs(v) >= 100) return Math.round(v);
  if (Math.abs(v) >= 10) return Math.round(v * 10) / 10;
  return Math.round(v * 100) / 100;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v);
}
