// rr: round robin (ip_vs_rr.c). Owns a cursor into the dest list that continues after the last
// pick and survives dest changes the way the kernel's does. schedule() never allocates.

import { isUsable } from './load.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

export class RrScheduler implements Scheduler {
  readonly name = 'rr';
  private dests: readonly SchedDest[] = [];
  /** Index of the last pick; -1 is the list head (the kernel's svc->sched_data = &destinations). */
  private cursor = -1;

  update(svc: SchedServiceView): void {
    const old = this.dests;
    const next = svc.dests.slice();
    // Adding or editing dests leaves the cursor on its dest. Deleting the dest under the cursor
    // moves the kernel's cursor to the entry before it (ip_vs_rr_del_dest), so the next pick is
    // the one that followed the deleted dest; several deletions give the nearest survivor before.
    let cursor = -1;
    for (let i = this.cursor; i >= 0 && cursor < 0; i--) cursor = indexOfId(next, old[i].id);
    this.cursor = cursor;
    this.dests = next;
  }

  schedule(_svc: SchedServiceView, _input: SchedInput): SchedDest | null {
    const dests = this.dests;
    const n = dests.length;
    // From the entry after the cursor to the end, then from the start up to the cursor itself.
    let i = this.cursor;
    for (let k = 0; k < n; k++) {
      if (++i >= n) i = 0;
      if (isUsable(dests[i])) {
        this.cursor = i;
        return dests[i];
      }
    }
    return null;
  }
}

function indexOfId(dests: readonly SchedDest[], id: number): number {
  for (let i = 0; i < dests.length; i++) if (dests[i].id === id) return i;
  return -1;
}
