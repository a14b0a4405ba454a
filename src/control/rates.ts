// `--rate`: connections, packets and bytes per second per service and dest, estimated from the
// summed counters as the kernel's IPVS estimator does (a sample every 2 s, smoothed by 1/4).

import type { Counters5 } from './views.js';
import type { Totals } from './workers.js';
import { ST_CONNS, ST_FIELDS, ST_INBYTES, ST_INPKTS, ST_OUTBYTES, ST_OUTPKTS } from '../ipvs/stats.js';

export type RateTable = ReadonlyMap<string, Counters5>;

/** ip_vs_est.c: one sample every 2 seconds. */
export const RATE_INTERVAL_MS = 2000;
/** ip_vs_est.c: avg += (rate - avg) / 4. */
const WEIGHT = 0.25;

interface Track {
  last: Float64Array;
  avg: Float64Array;
}

export class RateEstimator {
  private readonly tracks = new Map<string, Track>();
  private lastMs = -1;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly totals: () => Totals, private readonly now: () => number = () => Date.now()) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), RATE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes one sample of every service and dest counter (the timer calls this; tests may too). */
  sample(): void {
    const t = this.totals();
    const now = this.now();
    const dt = this.lastMs < 0 ? 0 : (now - this.lastMs) / 1000;
    this.lastMs = now;
    const seen = new Set<string>();
    const visit = (k: string, v: Float64Array): void => {
      seen.add(k);
      const tr = this.tracks.get(k);
      if (!tr) {
        this.tracks.set(k, { last: v.slice(), avg: new Float64Array(ST_FIELDS) });
        return;
      }
      for (let f = 0; f < ST_FIELDS; f++) {
        // A zeroed counter (-Z) restarts from its new value rather than showing a negative rate.
        const d = v[f]! - tr.last[f]!;
        const rate = dt > 0 && d >= 0 ? d / dt : 0;
        tr.avg[f]! += (rate - tr.avg[f]!) * WEIGHT;
        tr.last[f] = v[f]!;
      }
    };
    for (const [k, v] of t.svc) visit(k, v);
    for (const [k, v] of t.dest) visit(k, v);
    for (const k of [...this.tracks.keys()]) if (!seen.has(k)) this.tracks.delete(k);
  }

  /** Rates rounded to whole units per second, as ipvsadm prints them. */
  table(): RateTable {
    const m = new Map<string, Counters5>();
    for (const [k, { avg }] of this.tracks) {
      m.set(k, {
        conns: Math.round(avg[ST_CONNS]!), inPkts: Math.round(avg[ST_INPKTS]!), outPkts: Math.round(avg[ST_OUTPKTS]!),
        inBytes: Math.round(avg[ST_INBYTES]!), outBytes: Math.round(avg[ST_OUTBYTES]!),
      });
    }
    return m;
  }
}
