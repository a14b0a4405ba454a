// The load-comparing schedulers pick what the kernel picks on hand-built load states,
// ties included: lc, wlc, sed, nq, fo, ovf.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler } from '../../../src/ipvs/sched/registry.js';
import { type TestDest, dests, labels, packet, service } from './fixtures.js';

/** What `name` picks for dests built from [weight, activeConns, inactConns] triples. */
function pick(name: string, loads: [number, number, number][], adjust: (ds: TestDest[]) => void = () => {}): string {
  const ds = dests(...loads.map((l) => l[0]));
  ds.forEach((d, i) => d.set({ activeConns: loads[i][1], inactConns: loads[i][2] }));
  adjust(ds);
  const svc = service(ds);
  const s = createScheduler(name);
  s.update(svc);
  return labels([s.schedule(svc, packet())]);
}

describe('lc', () => {
  it('picks the least active*256 + inactive, ignoring weight', () => {
    // A: 256, B: 300, C: 255 (weight 1 does not penalise C).
    assert.equal(pick('lc', [[100, 1, 0], [1, 0, 300], [1, 0, 255]]), 'C');
  });
  it('keeps the first on a tie', () => {
    // A: 513; B and C: 512.
    assert.equal(pick('lc', [[1, 2, 1], [5, 1, 256], [9, 1, 256]]), 'B');
  });
  it('skips weight 0 and overloaded dests', () => {
    assert.equal(pick('lc', [[0, 0, 0], [1, 0, 0], [1, 0, 9]], (ds) => ds[1].set({ overloaded: true })), 'C');
  });
});

describe('wlc', () => {
  it('picks the least overhead / weight', () => {
    // A: 256/1, B: 266/2 = 133, C: 256/2 = 128.
    assert.equal(pick('wlc', [[1, 1, 0], [2, 1, 10], [2, 1, 0]]), 'C');
  });
  it('keeps the first on a tie (strict cross-multiplied comparison)', () => {
    // B: 256/2 and C: 512/4 tie at 128.
    assert.equal(pick('wlc', [[1, 1, 0], [2, 1, 0], [4, 2, 0]]), 'B');
  });
  it('counts inactive connections at 1/256 of an active one', () => {
    // A: 255/1 beats B: 256/1.
    assert.equal(pick('wlc', [[1, 0, 255], [1, 1, 0]]), 'A');
  });
});

describe('sed', () => {
  it('picks the least (active + 1) / weight, ignoring inactive connections', () => {
    // A: (1+1)/1 = 2, B: (2+1)/3 = 1 despite 1000 inactive.
    assert.equal(pick('sed', [[1, 1, 0], [3, 2, 1000]]), 'B');
  });
  it('keeps the first on a tie', () => {
    // A: 1/1, B: 3/3.
    assert.equal(pick('sed', [[1, 0, 0], [3, 2, 0]]), 'A');
  });
  it('unlike wlc, counts the incoming job: an idle weight-1 dest loses to a weight-10 one with 1 active', () => {
    // sed: A (0+1)/1 = 1 vs B (1+1)/10 = 0.2 -> B; wlc: A 0 vs B 25.6 -> A.
    assert.equal(pick('sed', [[1, 0, 0], [10, 1, 0]]), 'B');
    assert.equal(pick('wlc', [[1, 0, 0], [10, 1, 0]]), 'A');
  });
});

describe('nq', () => {
  it('takes the first idle dest whatever its weight', () => {
    assert.equal(pick('nq', [[10, 3, 0], [1, 0, 100], [10, 0, 0]]), 'B');
  });
  it('with no idle dest, picks like sed, first on a tie', () => {
    // A: 2/1, B: 3/3 = 1, C: 2/2 = 1 -> B.
    assert.equal(pick('nq', [[1, 1, 0], [3, 2, 0], [2, 1, 0]]), 'B');
  });
  it('does not take an idle dest that is quiescent or overloaded', () => {
    assert.equal(pick('nq', [[0, 0, 0], [1, 0, 0], [1, 1, 0]], (ds) => ds[1].set({ overloaded: true })), 'C');
  });
});

describe('fo', () => {
  it('picks the highest weight that is not overloaded, the first among equals', () => {
    assert.equal(pick('fo', [[5, 0, 0], [3, 9, 9], [3, 0, 0], [1, 0, 0]], (ds) => ds[0].set({ overloaded: true })), 'B');
  });
  it('fails over when the highest is deleted', () => {
    assert.equal(pick('fo', [[5, 0, 0], [2, 0, 0]], (ds) => ds[0].set({ available: false })), 'B');
  });
});

describe('ovf', () => {
  it('picks the highest weight whose active connections do not exceed its weight', () => {
    // A is full (4 > 3); B (2 <= 2) and C tie on weight 2: B first.
    assert.equal(pick('ovf', [[3, 4, 0], [2, 2, 0], [2, 0, 0]]), 'B');
  });
  it('overflows down the weights, and gives null when all are full', () => {
    assert.equal(pick('ovf', [[3, 3, 0], [2, 0, 0]]), 'A');
    assert.equal(pick('ovf', [[3, 4, 0], [2, 3, 0]]), '-');
  });
});
