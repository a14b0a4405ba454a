// wlc: weighted least connection (ip_vs_wlc.c), ipvsadm's default. Owns no state: the least
// connOverhead()/weight wins, the first in list order on a tie. Never allocates.

import { wlcLeast } from './load.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

export class WlcScheduler implements Scheduler {
  readonly name = 'wlc';
  update(_svc: SchedServiceView): void {}

  schedule(svc: SchedServiceView, _input: SchedInput): SchedDest | null {
    return wlcLeast(svc.dests);
  }
}
