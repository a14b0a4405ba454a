// twos: both weighted random picks are made and compared by overhead/weight, with scripted
// draws; and the seeded source it draws from replays and stays uniform.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Prng } from '../../../src/ipvs/sched/prng.js';
import { TwosScheduler } from '../../../src/ipvs/sched/twos.js';
import { type TestDest, dests, labels, packet, service } from './fixtures.js';

/** A random source that answers below() from a script, to steer the two picks. */
class ScriptedPrng extends Prng {
  readonly bounds: number[] = [];
  constructor(private readonly draws: number[]) {
    super();
  }
  override below(bound: number): number {
    this.bounds.push(bound);
    const x = this.draws.shift();
    if (x === undefined) throw new Error('script exhausted');
    return x;
  }
}

/** [weight, activeConns] per dest; the draws r1, r2 (each in [0, total weight]). */
function pick(loads: [number, number][], r1: number, r2: number, adjust: (ds: TestDest[]) => void = () => {}): string {
  const ds = dests(...loads.map((l) => l[0]));
  ds.forEach((d, i) => (d.activeConns = loads[i][1]));
  adjust(ds);
  const prng = new ScriptedPrng([r1, r2]);
  const s = new TwosScheduler(prng);
  const svc = service(ds);
  s.update(svc);
  const r = s.schedule(svc, packet());
  const total = ds.filter((d) => d.weight > 0 && !d.overloaded && d.available).reduce((a, d) => a + d.weight, 0);
  assert.deepEqual(prng.bounds, [total + 1, total + 1], 'both draws are in [0, total]');
  return labels([r]);
}

describe('twos', () => {
  it('maps a draw to the first dest whose running weight reaches it', () => {
    // weights 2,1,1 (total 4): A takes 0..2, B 3, C 4; equal loads keep the first pick.
    assert.equal(pick([[2, 0], [1, 0], [1, 0]], 0, 4), 'A');
    assert.equal(pick([[2, 0], [1, 0], [1, 0]], 2, 0), 'A');
    assert.equal(pick([[2, 0], [1, 0], [1, 0]], 3, 4), 'B');
    assert.equal(pick([[2, 0], [1, 0], [1, 0]], 4, 3), 'C');
  });

  it('considers both picks: the less loaded wins whichever draw found it', () => {
    assert.equal(pick([[1, 5], [1, 0], [1, 0]], 0, 3), 'C'); // A busy, C idle
    assert.equal(pick([[1, 0], [1, 0], [1, 5]], 0, 3), 'A'); // A idle, C busy
  });

  it('compares overhead per unit of weight, and keeps the first pick on a tie', () => {
    // A: 2 active on weight 4 = 512/4 = 128; B: 1 active on weight 1 = 256.
    assert.equal(pick([[4, 2], [1, 1]], 5, 0), 'A');
    assert.equal(pick([[4, 2], [1, 1]], 0, 5), 'A');
    // A: 1 active on weight 2 = 256/2 = 128 ties with B: 128 inactive on weight 1 = 128, so
    // the first pick stays, whichever it is.
    assert.equal(pick([[2, 1], [1, 0]], 3, 0, (ds) => (ds[1].inactConns = 128)), 'B');
    assert.equal(pick([[2, 1], [1, 0]], 0, 3, (ds) => (ds[1].inactConns = 128)), 'A');
  });

  it('leaves quiescent, overloaded and deleted dests out of the draw', () => {
    // Only B (weight 2) and D (weight 1) take part: total 3; 0..2 -> B, 3 -> D.
    const adjust = (ds: TestDest[]): void => {
      ds[0].overloaded = true;
      ds[2].available = false;
    };
    assert.equal(pick([[5, 0], [2, 0], [5, 0], [1, 0], [0, 0]], 3, 3, adjust), 'D');
    assert.equal(pick([[5, 0], [2, 0], [5, 0], [1, 0], [0, 0]], 2, 2, adjust), 'B');
  });

  it('replays exactly after seed()', () => {
    const svc = service(dests(1, 2, 3, 4));
    const run = (): string => {
      const s = new TwosScheduler();
      s.seed(7);
      s.update(svc);
      return labels(Array.from({ length: 50 }, () => s.schedule(svc, packet())));
    };
    assert.equal(run(), run());
  });
});

describe('Prng', () => {
  it('below(n) stays in range and is close to uniform', () => {
    const p = new Prng(1);
    for (const n of [1, 2, 3, 7, 10, 65536 * 5 + 1, 0xfffffff1]) {
      const buckets = new Array<number>(Math.min(n, 10)).fill(0);
      const draws = 20_000;
      for (let i = 0; i < draws; i++) {
        const x = p.below(n);
        assert.ok(Number.isInteger(x) && x >= 0 && x < n);
        buckets[Math.floor((x * buckets.length) / n)]++;
      }
      // Each of up to 10 buckets expects draws/k; 5% slack is over 7 standard deviations.
      for (const b of buckets) assert.ok(Math.abs(b - draws / buckets.length) < draws * 0.05, `n=${n}: ${buckets}`);
    }
  });

  it('the same seed gives the same sequence, another seed another', () => {
    const a = new Prng(123);
    const b = new Prng(123);
    const c = new Prng(124);
    const seqA = Array.from({ length: 8 }, () => a.nextU32());
    assert.deepEqual(Array.from({ length: 8 }, () => b.nextU32()), seqA);
    assert.notDeepEqual(Array.from({ length: 8 }, () => c.nextU32()), seqA);
    a.seed(123);
    assert.equal(a.nextU32(), seqA[0]);
  });
});
