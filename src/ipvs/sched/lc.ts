// lc: least connection (ip_vs_lc.c). Owns no state: the least connOverhead() wins, the first in
// list order on a tie; weight matters only in that 0 (quiescent) is skipped. Never allocates.

import { connOverhead, isUsable } from './load.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

export class LcScheduler implements Scheduler {
  readonly name = 'lc';
  update(_svc: SchedServiceView): void {}

  schedule(svc: SchedServiceView, _input: SchedInput): SchedDest | null {
    const dests = svc.dests;
    let least: SchedDest | null = null;
    let loh = 0;
    for (let i = 0; i < dests.length; i++) {
      const d = dests[i];
      // The kernel tests weight == 0; weights are never negative, so this is isUsable().
      if (!isUsable(d)) continue;
      const doh = connOverhead(d);
      if (least === null || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}
