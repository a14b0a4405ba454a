// --rate: the kernel estimator's arithmetic (2 s samples, smoothed by 1/4) over summed counters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateEstimator } from '../../src/control/rates.js';
import type { Totals } from '../../src/control/workers.js';

function totals(conns: number, inPkts: number, inBytes: number): Totals {
  return {
    counters: new Float64Array(0), connsPerWorker: [],
    svc: new Map([['tcp 10.0.0.100:80', Float64Array.of(conns, inPkts, 0, inBytes, 0)]]), dest: new Map(),
  };
}

test('a steady 100 conns/s converges as ip_vs_est does: 25, 43.75, 57.8 ... then ~100', () => {
  let now = 0, conns = 0;
  const est = new RateEstimator(() => totals(conns, conns * 10, conns * 1000), () => now);
  est.sample();
  const seen: number[] = [];
  for (let i = 0; i < 30; i++) {
    now += 2000;
    conns += 200;
    est.sample();
    seen.push(est.table().get('tcp 10.0.0.100:80')!.conns);
  }
  assert.deepEqual(seen.slice(0, 3), [25, 44, 58]);
  assert.equal(seen.at(-1), 100);
  const r = est.table().get('tcp 10.0.0.100:80')!;
  // After n samples of a constant rate R the average is R * (1 - 0.75^n).
  const after30 = (rate: number): number => Math.round(rate * (1 - 0.75 ** 30));
  assert.deepEqual([r.inPkts, r.outPkts, r.inBytes, r.outBytes], [after30(1000), 0, after30(100000), 0]);
});

test('a counter zeroed by -Z gives no negative rate, and a removed service leaves the table', () => {
  let now = 0, conns = 1000;
  let present = true;
  const est = new RateEstimator(() => (present ? totals(conns, 0, 0) : { ...totals(0, 0, 0), svc: new Map() }), () => now);
  est.sample();
  now += 2000;
  conns = 0;
  est.sample();
  assert.equal(est.table().get('tcp 10.0.0.100:80')!.conns, 0);
  present = false;
  now += 2000;
  est.sample();
  assert.equal(est.table().size, 0);
});
