// twos: power of two choices (ip_vs_twos.c). Owns a seeded Prng: two weighted random picks, and
// the one with the lower connOverhead()/weight wins (the first pick on a tie). Never allocates.

import { connOverhead } from './load.js';
import { Prng } from './prng.js';
import type { SchedDest, SchedInput, SchedServiceView, Scheduler } from './types.js';

function twosCandidate(d: SchedDest): boolean {
  return !d.overloaded && d.weight > 0 && d.available;
}

export class TwosScheduler implements Scheduler {
  readonly name = 'twos';
  /** The kernel draws from get_random_u32_below(); ours is seeded so runs replay exactly. */
  readonly prng: Prng;

  constructor(prng: Prng = new Prng()) {
    this.prng = prng;
  }

  /** Restarts the random sequence (tests and replays; the default seed is fixed). */
  seed(seed: number): void {
    this.prng.seed(seed);
  }

  update(_svc: SchedServiceView): void {}

  schedule(svc: SchedServiceView, _input: SchedInput): SchedDest | null {
    const dests = svc.dests;
    let total = 0;
    let choice1: SchedDest | null = null;
    for (let i = 0; i < dests.length; i++) {
      if (twosCandidate(dests[i])) {
        total += dests[i].weight;
        choice1 = dests[i];
      }
    }
    if (choice1 === null) return null;
    // Both draws are in [0, total] inclusive (the kernel adds 1 before drawing), so the first
    // candidate answers weight+1 of the total+1 values and every other one its weight.
    let r1 = this.prng.below(total + 1);
    let r2 = this.prng.below(total + 1);
    let choice2: SchedDest | null = null;
    let weight1 = -1;
    let weight2 = -1;
    let overhead1 = 0;
    let overhead2 = 0;
    for (let i = 0; i < dests.length && (weight1 === -1 || weight2 === -1); i++) {
      const d = dests[i];
      if (!twosCandidate(d)) continue;
      r1 -= d.weight;
      r2 -= d.weight;
      if (r1 <= 0 && weight1 === -1) {
        choice1 = d;
        weight1 = d.weight;
        overhead1 = connOverhead(d);
      }
      if (r2 <= 0 && weight2 === -1) {
        choice2 = d;
        weight2 = d.weight;
        overhead2 = connOverhead(d);
      }
    }
    // overhead1/weight1 > overhead2/weight2, by cross-multiplication.
    if (choice2 !== null && weight2 * overhead1 > weight1 * overhead2) return choice2;
    return choice1;
  }
}
