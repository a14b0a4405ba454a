// rr and wrr give the kernel's exact sequences, including where they resume after a change.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RrScheduler } from '../../../src/ipvs/sched/rr.js';
import { WrrScheduler } from '../../../src/ipvs/sched/wrr.js';
import type { Scheduler } from '../../../src/ipvs/sched/types.js';
import { type TestService, dests, labels, packet, service } from './fixtures.js';

function picks(s: Scheduler, svc: TestService, n: number): string {
  const out = [];
  for (let i = 0; i < n; i++) out.push(s.schedule(svc, packet({ src: `10.0.0.${i + 1}` })));
  return labels(out);
}

function started(s: Scheduler, svc: TestService): Scheduler {
  s.update(svc);
  return s;
}

describe('rr', () => {
  it('cycles through three dests in list order', () => {
    const svc = service(dests(1, 1, 1));
    assert.equal(picks(started(new RrScheduler(), svc), svc, 7), 'A B C A B C A');
  });

  it('ignores weight except that 0 quiesces, and skips overloaded dests', () => {
    const svc = service(dests(5, 0, 1, 1));
    svc.dests[3].overloaded = true;
    assert.equal(picks(started(new RrScheduler(), svc), svc, 4), 'A C A C');
  });

  it('continues after the last pick, not from the head, across updates', () => {
    const svc = service(dests(1, 1, 1));
    const s = started(new RrScheduler(), svc);
    assert.equal(picks(s, svc, 2), 'A B');
    svc.dests[0].weight = 3; // an edit leaves the cursor on B
    s.update(svc);
    assert.equal(picks(s, svc, 2), 'C A');
  });

  it('after deleting the dest under the cursor, goes on with the one that followed it', () => {
    const all = dests(1, 1, 1, 1);
    const svc = service(all.slice(0, 3));
    const s = started(new RrScheduler(), svc);
    assert.equal(picks(s, svc, 2), 'A B');
    svc.dests = [all[0], all[2]]; // delete B: the kernel moves the cursor back to A
    s.update(svc);
    assert.equal(picks(s, svc, 1), 'C');
    svc.dests = [all[0], all[2], all[3]]; // add D at the tail
    s.update(svc);
    assert.equal(picks(s, svc, 3), 'D A C');
  });
});

describe('wrr', () => {
  it('weights 4,3,2: two full cycles of the kernel sequence', () => {
    // mw = 4, di = gcd = 1: passes cw=4: A; cw=3: A B; cw=2: A B C; cw=1: A B C.
    const svc = service(dests(4, 3, 2));
    assert.equal(picks(started(new WrrScheduler(), svc), svc, 18), 'A A B A B C A B C A A B A B C A B C');
  });

  it('weights with gcd 2 step by the gcd: 4,2 gives A A B', () => {
    // di = 2, mw = 4 - (2 - 1) = 3: passes cw=3: A; cw=1: A B.
    const svc = service(dests(4, 2));
    assert.equal(picks(started(new WrrScheduler(), svc), svc, 6), 'A A B A A B');
  });

  it('weights 6,4,2 schedule like 3,2,1', () => {
    // di = 2, mw = 5: cw=5: A; cw=3: A B; cw=1: A B C.
    const svc = service(dests(6, 4, 2));
    assert.equal(picks(started(new WrrScheduler(), svc), svc, 12), 'A A B A B C A A B A B C');
  });

  it('skips overloaded and quiescent dests within each pass', () => {
    const svc = service(dests(4, 3, 0, 2));
    svc.dests[1].overloaded = true;
    // Weights seen: A=4, D=2 (B overloaded, C quiescent); gcd over positive weights is 1.
    assert.equal(picks(started(new WrrScheduler(), svc), svc, 6), 'A A A D A D');
  });

  it('a dest change restarts from the head and keeps the current weight', () => {
    const svc = service(dests(4, 3, 2));
    const s = started(new WrrScheduler(), svc);
    assert.equal(picks(s, svc, 2), 'A A'); // now cw = 3, cl = A
    s.update(svc); // cl back to the head, cw = 3 kept: A B, then cw=2 ...
    assert.equal(picks(s, svc, 9), 'A B A B C A B C A');
  });

  it('a change that lowers mw below cw restarts the passes at the new mw', () => {
    const svc = service(dests(6, 4, 2));
    const s = started(new WrrScheduler(), svc);
    assert.equal(picks(s, svc, 1), 'A'); // cw = 5
    svc.dests[0].weight = 4;
    svc.dests[1].weight = 2;
    s.update(svc); // di = 2, mw = 3 < cw: cw = 3. Passes cw=3: A; cw=1: A B C.
    assert.equal(picks(s, svc, 8), 'A A B C A A B C');
  });

  it('a change to a larger gcd realigns cw to (cw / di) * di + 1', () => {
    const svc = service(dests(3, 2, 1));
    const s = started(new WrrScheduler(), svc);
    assert.equal(picks(s, svc, 3), 'A A B'); // cw = 2, cl = B
    svc.dests[0].weight = 6;
    svc.dests[1].weight = 4;
    svc.dests[2].weight = 2;
    s.update(svc); // di = 2, mw = 5, cw = 1 * 2 + 1 = 3: A B; cw=1: A B C; then cw=5 again.
    assert.equal(picks(s, svc, 11), 'A B A B C A A B A B C');
  });

  it('returns null when every dest is overloaded, then resumes', () => {
    const svc = service(dests(2, 1));
    const s = started(new WrrScheduler(), svc);
    assert.equal(picks(s, svc, 1), 'A');
    for (const d of svc.dests) d.overloaded = true;
    assert.equal(picks(s, svc, 2), '- -');
    for (const d of svc.dests) d.overloaded = false;
    assert.equal(picks(s, svc, 3).split(' ').length, 3);
  });
});
