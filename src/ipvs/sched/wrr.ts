// wrr: weighted round robin (ip_vs_wrr.c). Owns the kernel's mark: current dest cl, current
// weight cw, maximum mw and step di (the gcd). schedule() never allocates.

import { gcdOfPositive, maxOf } from './weight.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

/**
 * Passes over the list with cw = mw, mw-di, ..., down to 1; each pass picks, in list order, the
 * dests whose weight is >= cw. mw is max-(di-1) rather than max so that the last pass has cw = 1
 * and still catches a dest whose weight was lowered below di while a pass was running.
 * Weights 4,3,2 give A; A,B; A,B,C; A,B,C, i.e. A A B A B C A B C, then again.
 */
export class WrrScheduler implements Scheduler {
  readonly name = 'wrr';
  private dests: readonly SchedDest[] = [];
  /** Index of the current dest; -1 is the list head. */
  private cl = -1;
  private cw = 0;
  private mw = 0;
  private di = 1;

  update(svc: SchedServiceView): void {
    this.dests = svc.dests.slice();
    const weights = this.dests.map((d) => d.weight);
    // ip_vs_wrr_dest_changed(): restart from the head, recompute di and mw, and keep cw if it is
    // still in range (aligned to the new step so the pass sequence stays on the grid).
    this.cl = -1;
    this.di = gcdOfPositive(weights) || 1;
    this.mw = maxOf(weights) - (this.di - 1);
    if (this.cw > this.mw || this.cw === 0) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }

  schedule(_svc: SchedServiceView, _input: SchedInput): SchedDest | null {
    if (this.mw === 0) return null;
    const dests = this.dests;
    const n = dests.length;
    const last = this.cl;
    let stop = -2; // none
    let lastPass = false;
    let restarted = false;
    let i = last;
    for (;;) {
      for (i++; i < n; i++) {
        const d = dests[i];
        if (!d.overloaded && d.available && d.weight >= this.cw) {
          this.cl = i;
          return d;
        }
        if (i === stop) {
          this.cl = i;
          return null;
        }
      }
      i = -1;
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        // Give up once every dest was checked with cw <= di: either this call already did a
        // last pass, or it started from the head so its first traversal covered everyone.
        if (lastPass || last === -1) {
          this.cl = -1;
          return null;
        }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      // Started mid-list: the dests before `last` still need their cw <= di check, then stop.
      if (lastPass && restarted && last !== -1) stop = last;
    }
  }
}
