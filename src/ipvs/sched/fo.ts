// fo: weighted fail-over (ip_vs_fo.c). Owns no state: the usable dest with the highest weight,
// the first in list order among equals. Never allocates.

import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

export class FoScheduler implements Scheduler {
  readonly name = 'fo';
  update(_svc: SchedServiceView): void {}

  schedule(svc: SchedServiceView, _input: SchedInput): SchedDest | null {
    const dests = svc.dests;
    let best: SchedDest | null = null;
    let hw = 0; // starting from 0 also skips weight-0 dests
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      if (!d.overloaded && d.available && d.weight > hw) {
        best = d;
        hw = d.weight;
      }
    }
    return best;
  }
}
