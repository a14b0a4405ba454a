// nq: never queue (ip_vs_nq.c). Owns no state: the first idle dest (no active connections) in
// list order, else sed's least (activeConns+1)/weight, first on a tie. Never allocates.

import { isUsable } from './load.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

export class NqScheduler implements Scheduler {
  readonly name = 'nq';
  update(_svc: SchedServiceView): void {}

  schedule(svc: SchedServiceView, _input: SchedInput): SchedDest | null {
    const dests = svc.dests;
    let least: SchedDest | null = null;
    let loh = 0;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      if (!isUsable(d)) continue;
      // An idle server takes the job at once, whatever its weight: that is the "never queue".
      if (d.activeConns === 0) return d;
      const doh = d.activeConns + 1;
      if (least === null || loh * d.weight > doh * least.weight) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}
