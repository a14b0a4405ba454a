// ovf: overflow connection (ip_vs_ovf.c). Owns no state: the highest-weight dest whose active
// connections do not exceed its weight, the first among equals. Never allocates.

import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

export class OvfScheduler implements Scheduler {
  readonly name = 'ovf';
  update(_svc: SchedServiceView): void {}

  schedule(svc: SchedServiceView, _input: SchedInput): SchedDest | null {
    const dests = svc.dests;
    let best: SchedDest | null = null;
    let hw = 0;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      const w = d.weight;
      // Only active connections count, which is why the kernel warns it may not suit UDP.
      if (d.overloaded || d.activeConns > w || w === 0 || !d.available) continue;
      if (best === null || w > hw) {
        best = d;
        hw = w;
      }
    }
    return best;
  }
}
