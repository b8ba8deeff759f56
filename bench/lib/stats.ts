// Latency samples and the figures drawn from them.

/** One kind of call (e.g. POST /task): when each request started, how long it took, its status. */
export class Recorder {
  private start = new Float64Array(1024);
  private lat = new Float64Array(1024);
  private stat = new Int16Array(1024);
  n = 0;

  constructor(readonly name: string) {}

  /** status: the HTTP status, or ERR_NETWORK / ERR_TIMEOUT. */
  add(startMs: number, latencyMs: number, status: number): void {
    if (this.n === this.start.length) {
      const grow = <T extends Float64Array | Int16Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.start = grow(this.start);
      this.lat = grow(this.lat);
      this.stat = grow(this.stat);
    }
    this.start[this.n] = startMs;
    this.lat[this.n] = latencyMs;
    this.stat[this.n] = status;
    this.n++;
  }

  /** Samples whose request started in [from, to). */
  slice(from = -Infinity, to = Infinity): Sample[] {
    const out: Sample[] = [];
    for (let i = 0; i < this.n; i++) {
      const s = this.start[i]!;
      if (s >= from && s < to) out.push({ start: s, ms: this.lat[i]!, status: this.stat[i]! });
    }
    return out;
  }

  /** Requests that were in flight at some moment of [from, to]. */
  overlapping(from: number, to: number): Sample[] {
    const out: Sample[] = [];
    for (let i = 0; i < this.n; i++) {
      const s = this.start[i]!;
      if (s <= to && s + this.lat[i]! >= from) out.push({ start: s, ms: this.lat[i]!, status: this.stat[i]! });
    }
    return out;
  }
}

export const ERR_NETWORK = -1;
export const ERR_TIMEOUT = -2;

export interface Sample {
  start: number;
  ms: number;
  status: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  statuses: Record<string, number>;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: Sample[]): LatencySummary {
  const ms = Float64Array.from(samples, (s) => s.ms).sort();
  const statuses: Record<string, number> = {};
  let sum = 0;
  for (const s of samples) {
    const k = s.status === ERR_NETWORK ? 'network-error' : s.status === ERR_TIMEOUT ? 'timeout' : String(s.status);
    statuses[k] = (statuses[k] ?? 0) + 1;
    sum += s.ms;
  }
  return {
    count: samples.length,
    p50: round(percentile(ms, 50)),
    p90: round(percentile(ms, 90)),
    p99: round(percentile(ms, 99)),
    max: round(ms.length ? ms[ms.length - 1]! : NaN),
    mean: round(samples.length ? sum / samples.length : NaN),
    statuses,
  };
}

export function round(v: number, digits = 3): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
