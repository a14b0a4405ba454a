// sed: shortest expected delay (ip_vs_sed.c). Owns no state: the least (activeConns+1)/weight
// wins, the first in list order on a tie; inactive connections do not count. Never allocates.

import { weightedLeast } from './load.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

export class SedScheduler implements Scheduler {
  readonly name = 'sed';
  update(_svc: SchedServiceView): void {}

  schedule(svc: SchedServiceView, _input: SchedInput): SchedDest | null {
    return weightedLeast(svc.dests, true);
  }
}
