// TEMPORARY: replaced by the sched branch's registry (same interface).
import { TsvsError } from '../../errors.js';
import type { Scheduler, SchedDest, SchedServiceView } from './types.js';

class Rr implements Scheduler {
  readonly name = 'rr';
  private last = -1;
  update(): void { this.last = -1; }
  schedule(svc: SchedServiceView): SchedDest | null {
    const n = svc.dests.length;
    for (let k = 1; k <= n; k++) {
      const i = (this.last + k) % n;
      const d = svc.dests[i]!;
      if (d.weight > 0 && !d.overloaded && d.available) { this.last = i; return d; }
    }
    return null;
  }
}
export function createScheduler(name: string): Scheduler {
  if (name === 'rr' || name === 'wlc' || name === 'wrr') return new Rr();
  throw new TsvsError('TSVS_ERR_SCHED', `unknown scheduler ${name}`);
}
export function schedulerNames(): readonly string[] { return ['rr']; }
