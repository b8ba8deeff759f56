// A strict reader of the Prometheus text exposition format (0.0.4), for tests: it throws on
// anything a Prometheus server would reject, and on what the format's rules forbid that a lax
// scraper might accept (a family split in two, a sample before its TYPE, a repeated series,
// histogram buckets that are not cumulative).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

function parseValue(text: string, line: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`not a number "${text}" in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name) || name.startsWith('__')) throw new Error(`bad label name "${name}" in: ${line}`);
    if (name in out) throw new Error(`label ${name} twice in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`label value not quoted in: ${line}`);
    let v = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const n = text[++j];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else throw new Error(`bad escape \\${n} in: ${line}`);
      } else {
        v += text[j];
      }
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    out[name] = v;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected , between labels in: ${line}`);
  }
  return out;
}

/** The family a sample name belongs to, given the declared types. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const f = families.get(name.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
    }
  }
  return undefined;
}

export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const closed = new Set<string>();
  let current: Family | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest = ''] = m;
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      let f = families.get(name!);
      if (f && closed.has(name!)) throw new Error(`family ${name} continued after another family: ${line}`);
      if (kind === 'TYPE') {
        if (!TYPES.includes(rest)) throw new Error(`unknown type in: ${line}`);
        if (f?.type) throw new Error(`second TYPE for ${name}`);
        if (f && f.samples.length > 0) throw new Error(`TYPE after samples of ${name}`);
        f ??= { name: name!, type: rest, samples: [] };
        f.type = rest;
      } else {
        if (f?.help !== undefined) throw new Error(`second HELP for ${name}`);
        f ??= { name: name!, type: '', samples: [] };
        f.help = rest;
      }
      families.set(name!, f);
      if (current && current !== f) closed.add(current.name);
      current = f;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText = '', valueText] = m;
    const f = familyOf(name!, families);
    if (!f?.type) throw new Error(`sample before its TYPE: ${line}`);
    if (closed.has(f.name)) throw new Error(`family ${f.name} continued after another family: ${line}`);
    if (current && current !== f) closed.add(current.name);
    current = f;
    const labels = parseLabels(labelText, line);
    const key = `${name}{${Object.entries(labels)
      .sort()
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (seen.has(key)) throw new Error(`series twice: ${key}`);
    seen.add(key);
    const value = parseValue(valueText!, line);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`negative counter: ${line}`);
    f.samples.push({ name: name!, labels, value });
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`bucket without le in ${f.name}`);
      g.buckets.push([parseValue(le, le), s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
  }
  for (const [key, g] of groups) {
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) if (sorted[i]![1] < sorted[i - 1]![1]) throw new Error(`buckets of ${f.name}${key} are not cumulative`);
    const inf = sorted.at(-1);
    if (!inf || inf[0] !== Infinity) throw new Error(`no +Inf bucket in ${f.name}${key}`);
    if (g.count === undefined || g.sum === undefined) throw new Error(`${f.name}${key} lacks _count or _sum`);
    if (inf[1] !== g.count) throw new Error(`+Inf bucket of ${f.name}${key} differs from _count`);
  }
}

/** The value of one series, or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(labels);
      if (Object.keys(s.labels).length === keys.length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}
