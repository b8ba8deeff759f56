// Human output: tables that fit the terminal, status colours, relative times, progress bars.
import type { Command } from 'commander';
import { io } from './io';
import { DEFAULT_LIMIT, type Listing, parseLimit } from '../core/listing';
import { escapeControlCharacters } from '../core/support/control-characters';
import { ValidationError } from '../core/support/errors';
import { counted } from '../core/support/plural';

/** How human output is laid out: the width to fit (none: as wide as the cells), and colour. */
export interface Style {
  width: number | undefined;
  colour: boolean;
}

export interface TableOptions {
  /** `-o wide`: never truncate. */
  output?: string;
}

/**
 * On a terminal, tables fit its width and statuses are coloured (unless NO_COLOR is set, see
 * no-color.org); on a pipe, rows are whole and plain, for grep and awk. `-o wide` never truncates.
 */
export function outputStyle(opts: TableOptions = {}): Style {
  if (opts.output !== undefined && opts.output !== 'wide') throw new ValidationError(`-o: "${opts.output}" is not an output format (wide)`);
  const tty = io.isTty();
  const noColor = (process.env.NO_COLOR ?? '') !== '';
  const width = tty && opts.output !== 'wide' ? (io.columns() ?? 80) : undefined;
  return { width, colour: tty && !noColor };
}

/** Adds `-o wide` to a command that prints a table. */
export function withOutput(cmd: Command): Command {
  return cmd.option('-o, --output <format>', 'wide: never truncate table cells');
}

/** Adds --limit and --all to a listing command. */
export function withLimit(cmd: Command, what: string, limit = DEFAULT_LIMIT): Command {
  return cmd.option('--limit <n>', `show at most n ${what} (default ${limit})`).option('--all', `show all ${what}`);
}

export interface LimitOptions {
  limit?: string;
  all?: boolean;
}

/** The listing a command's --limit/--all ask for: by default the current jobs, at most `limit`. */
export function listingOf(opts: LimitOptions, limit = DEFAULT_LIMIT): Listing {
  if (opts.all && opts.limit !== undefined) throw new ValidationError('give --limit or --all, not both');
  if (opts.all) return { scope: 'all' };
  return { scope: 'current', limit: parseLimit(opts.limit, '--limit') ?? limit };
}

/** The line under a cut-down listing that says what is missing and how to see it. */
export function omittedNote(omitted: number, one: string): string {
  return omitted > 0 ? `(${counted(omitted, `more ${one}`, `more ${one}s`)} not shown; use --limit n or --all)\n` : '';
}

const ANSI: Record<string, string> = { green: '32', red: '31', yellow: '33', cyan: '36', dim: '2' };

const STATUS_COLOURS: Record<string, string> = {
  completed: 'green',
  awake: 'green',
  active: 'cyan',
  starting: 'cyan',
  testing: 'cyan',
  failed: 'red',
  error: 'red',
  timeout: 'red',
  'soft-failed': 'yellow',
  'cancel-requested': 'yellow',
  'pause-requested': 'yellow',
  paused: 'dim',
  canceled: 'dim',
  asleep: 'dim',
  offline: 'dim',
};

/** A status in its colour, when the style has colour. */
export function colourStatus(text: string, style: Style): string {
  const c = style.colour ? STATUS_COLOURS[text] : undefined;
  return c ? `\x1b[${ANSI[c]}m${text}\x1b[0m` : text;
}

/** Columns never narrower than this (or their header) when a table is fitted to the terminal. */
const MIN_COLUMN = 5;

/**
 * Ids cut shorter than this are hard to tell apart at a glance; ids made in the same second share
 * their first 8 characters (core/names.ts takes prefixes of 4 and more, so these still work).
 */
export const MIN_ID_PREFIX_SHOWN = 8;

/**
 * The length of the shortest prefix that tells the distinct ids of a column apart (at least
 * MIN_ID_PREFIX_SHOWN, at most the longest id). Unique among the rows shown: a command given such
 * a prefix that also matches an id not shown says so and lists both.
 */
export function uniquePrefixLength(ids: readonly string[]): number {
  const sorted = [...new Set(ids)].sort();
  let n = MIN_ID_PREFIX_SHOWN;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    let common = 0;
    while (common < a.length && a[common] === b[common]) common++;
    n = Math.max(n, common + 1);
  }
  return Math.min(n, Math.max(0, ...sorted.map((s) => s.length)));
}

export interface TableLayout {
  /** Columns never cut (beyond what `ids` allows). */
  keep?: string[];
  /** Columns of ids: when the table is too wide, they shrink to their shortest unique prefix first (no `…`: a prefix is a usable id). */
  ids?: string[];
  /** The column whose cells are coloured as statuses. */
  status?: string;
  /**
   * Columns left out, in this order, while the rest does not fit uncut (ids as prefixes): names
   * and reasons are worth more than these; `-o wide` and pipes show them all.
   */
  drop?: string[];
}

/**
 * An aligned table. With a width: when the rows do not fit, the id columns shrink to their
 * shortest unique prefix first (names beat ids), then the widest columns not listed in `keep`
 * give up characters until the rows fit, and cut cells end in `…`. Cells of the `status` column
 * are coloured.
 */
export function table(headers: string[], rows: string[][], style: Style = { width: undefined, colour: false }, opts: TableLayout = {}): string {
  // Cells hold what workers and submitters wrote (activities, nicknames, names kept from before
  // they were checked): a control character is shown as an escape, never sent to the terminal.
  rows = rows.map((r) => r.map(escapeControlCharacters));
  if (style.width !== undefined) {
    for (const column of opts.drop ?? []) {
      const at = headers.indexOf(column);
      if (at < 0 || uncutWidth(headers, rows, opts) <= style.width) break;
      headers = headers.filter((_, i) => i !== at);
      rows = rows.map((r) => r.filter((_, i) => i !== at));
    }
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isId = headers.map((h) => opts.ids?.includes(h) ?? false);
  const sum = () => widths.reduce((a, b) => a + b, 0) + 2 * (headers.length - 1);
  if (style.width !== undefined && sum() > style.width) {
    headers.forEach((h, i) => {
      if (isId[i]) widths[i] = Math.min(widths[i]!, Math.max(h.length, uniquePrefixLength(rows.map((r) => r[i] ?? ''))));
    });
    const kept = (h: string) => opts.keep?.includes(h) || opts.ids?.includes(h);
    const floor = headers.map((h, i) => (kept(h) ? widths[i]! : Math.min(widths[i]!, Math.max(h.length, MIN_COLUMN))));
    let total = sum();
    while (total > style.width) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) if (widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      if (widest < 0) break;
      widths[widest]!--;
      total--;
    }
  }
  const statusAt = opts.status ? headers.indexOf(opts.status) : -1;
  const line = (cells: string[], head: boolean) =>
    cells
      .map((c, i) => {
        const w = widths[i]!;
        const text = c.length <= w ? c : isId[i] && !head ? c.slice(0, w) : `${c.slice(0, Math.max(0, w - 1))}…`;
        const pad = i === cells.length - 1 ? '' : ' '.repeat(w - text.length);
        return (i === statusAt && !head ? colourStatus(text, style) : text) + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers, true), ...rows.map((r) => line(r, false))].join('\n');
}

/** The width of a table whose id columns are cut to their unique prefixes and whose other cells are whole. */
function uncutWidth(headers: string[], rows: string[][], opts: TableLayout): number {
  let total = 2 * (headers.length - 1);
  headers.forEach((h, i) => {
    const full = Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length));
    total += opts.ids?.includes(h) ? Math.min(full, Math.max(h.length, uniquePrefixLength(rows.map((r) => r[i] ?? '')))) : full;
  });
  return total;
}

/** "12s ago", "5m ago", "3h ago", "2d ago"; "in 4s" for the future; "never" for none. */
export function relativeTime(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return 'never';
  const d = Math.round((now - ms) / 1000);
  const abs = Math.abs(d);
  let text: string;
  if (abs < 60) text = `${abs}s`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)}m`;
  else if (abs < 86400) text = `${Math.floor(abs / 3600)}h`;
  else text = `${Math.floor(abs / 86400)}d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

/** Whole percent done, rounded down: 100 only when everything is done. */
export function percent(done: number, total: number): number {
  return total > 0 ? Math.floor((done / total) * 100) : 0;
}

export function progressBar(done: number, total: number, width = 20): string {
  const frac = total > 0 ? done / total : 0;
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent(done, total)).padStart(3)}%`;
}

export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function printJson(value: unknown): void {
  io.out(jsonText(value));
}

/**
 * A running task as people think of it: its job's name and frames ("shot 12 · 1-10"), taken from
 * the task name the compilers give (`blender-render-1-10`, a progressive render's
 * `render-s_4-8-f_1-4`, whose `s_` part is samples, simple-blender-render's `render-1,2`); other
 * tasks by their name.
 */
export function taskLabel(jobName: string | null, taskName: string | null): string {
  if (!taskName) return '-';
  const frames = /-(?:f_)?(\d+(?:[-,]\d+)*)$/.exec(taskName)?.[1];
  return `${jobName ?? '?'} · ${frames ?? taskName}`;
}
