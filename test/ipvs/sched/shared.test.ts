// The compliance suite every scheduler in the registry passes: it never hands out a dest that
// may not take connections, says null when none can, replays deterministically and follows
// the service through dest changes.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createScheduler, schedulerNames } from '../../../src/ipvs/sched/registry.js';
import { TwosScheduler } from '../../../src/ipvs/sched/twos.js';
import { TsvsError } from '../../../src/errors.js';
import type { SchedDest, Scheduler } from '../../../src/ipvs/sched/types.js';
import { TestDest, client, packet, service } from './fixtures.js';

/** Schedulers that always answer when some dest is usable (the hashing ones may not). */
const WORK_CONSERVING = new Set(['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'fo', 'lblc', 'lblcr', 'twos']);

function make(name: string): Scheduler {
  const s = createScheduler(name);
  if (s instanceof TwosScheduler) s.seed(42);
  return s;
}

/**
 * What a scheduler may return. lblc is the kernel's one exception to the OVERLOAD flag: a
 * cached dest keeps its destination addresses past its -x threshold (ip_vs_lblc_schedule tests
 * only availability, weight and its own relative overload rule), so for lblc the flag is not
 * a bar.
 */
function mayReturn(name: string, d: SchedDest): boolean {
  return d.available && d.weight > 0 && (name === 'lblc' || !d.overloaded);
}

type Op =
  | { kind: 'sched'; src: number; dst: number; sport: number }
  | { kind: 'load'; idx: number; active: number; inact: number; overloaded: boolean }
  | { kind: 'weight'; idx: number; weight: number }
  | { kind: 'remove'; idx: number }
  | { kind: 'add'; weight: number };

const destState = fc.record({
  weight: fc.integer({ min: 0, max: 6 }),
  activeConns: fc.integer({ min: 0, max: 12 }),
  inactConns: fc.integer({ min: 0, max: 40 }),
  overloaded: fc.boolean(),
  available: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
});

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('sched' as const), src: fc.nat(400), dst: fc.nat(5), sport: fc.nat(65535) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('load' as const),
      idx: fc.nat(20),
      active: fc.nat(12),
      inact: fc.nat(40),
      overloaded: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('weight' as const), idx: fc.nat(20), weight: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), idx: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), weight: fc.nat(6) }) },
);

const scenario = fc.record({
  initial: fc.array(destState, { minLength: 0, maxLength: 7 }),
  flags: fc.subarray(['flag-1', 'flag-2']),
  ops: fc.array(op, { minLength: 1, maxLength: 40 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/**
 * Plays a scenario against a fresh scheduler: counters change under it without update(),
 * weights, additions and removals go through update() as the core does. Calls `check` after
 * every schedule() with the view it was made against; returns the ids picked.
 */
function play(
  name: string,
  sc: Scenario,
  check: (picked: SchedDest | null, view: readonly TestDest[]) => void = () => {},
): (number | null)[] {
  let nextId = 1;
  const mk = (st: Scenario['initial'][number]): TestDest =>
    new TestDest(nextId, `D${nextId}`, `10.2.${nextId >> 8}.${nextId++ & 255}`, 8080).set(st);
  const svc = service(sc.initial.map(mk), ...sc.flags);
  const s = make(name);
  s.update(svc);
  const picked: (number | null)[] = [];
  let t = 0;
  for (const o of sc.ops) {
    t += 7_000;
    const d = svc.dests.length > 0 ? svc.dests[('idx' in o ? o.idx : 0) % svc.dests.length] : undefined;
    switch (o.kind) {
      case 'sched': {
        const r = s.schedule(svc, packet({ src: client(o.src), sport: o.sport, dst: `192.168.0.${o.dst + 1}`, at: t }));
        check(r, svc.dests);
        picked.push(r === null ? null : r.id);
        break;
      }
      case 'load':
        d?.set({ activeConns: o.active, inactConns: o.inact, overloaded: o.overloaded });
        break;
      case 'weight':
        d?.set({ weight: o.weight });
        s.update(svc);
        break;
      case 'remove':
        if (d !== undefined) {
          // The core unlinks the dest and marks it unavailable (it may live on in connections).
          svc.dests = svc.dests.filter((x) => x !== d);
          d.set({ available: false });
          s.update(svc);
        }
        break;
      case 'add':
        svc.dests = [...svc.dests, mk({ weight: o.weight, activeConns: 0, inactConns: 0, overloaded: false, available: true })];
        s.update(svc);
        break;
    }
  }
  return picked;
}

describe('scheduler registry', () => {
  it('knows the kernel and DPVS schedulers', () => {
    assert.deepEqual(
      [...schedulerNames()].sort(),
      ['conhash', 'dh', 'fo', 'lblc', 'lblcr', 'lc', 'mh', 'nq', 'ovf', 'rr', 'sed', 'sh', 'twos', 'wlc', 'wrr'],
    );
    for (const name of schedulerNames()) assert.equal(createScheduler(name).name, name);
  });

  it('rejects an unknown name with TSVS_ERR_SCHED and lists the known ones', () => {
    assert.throws(
      () => createScheduler('wrrr'),
      (e: unknown) => e instanceof TsvsError && e.code === 'TSVS_ERR_SCHED' && /wrrr/.test(e.message) && /rr, wrr, lc, wlc/.test(e.message),
    );
  });

  it('makes a fresh instance per call (per-service state)', () => {
    assert.notEqual(createScheduler('rr'), createScheduler('rr'));
  });
});

for (const name of schedulerNames()) {
  describe(`${name}: shared scheduler suite`, () => {
    it('returns null with no dests, and when no dest is usable', () => {
      const s = make(name);
      const empty = service([]);
      s.update(empty);
      assert.equal(s.schedule(empty, packet()), null);
      const unusable = service([
        new TestDest(1, 'Q', '10.3.0.1', 80).set({ weight: 0 }),
        new TestDest(2, 'O', '10.3.0.2', 80).set({ weight: 5, overloaded: true }),
        new TestDest(3, 'U', '10.3.0.3', 80).set({ weight: 5, available: false }),
      ]);
      s.update(unusable);
      for (let i = 0; i < 300; i++) {
        assert.equal(s.schedule(unusable, packet({ src: client(i), dst: client(i * 7), at: i * 1000 })), null);
      }
    });

    it('never returns a deleted, quiescent or overloaded dest, nor one outside the view', () => {
      fc.assert(
        fc.property(scenario, (sc) => {
          play(name, sc, (picked, view) => {
            if (picked === null) return;
            assert.ok(view.includes(picked as TestDest), 'returned a dest not in the service');
            assert.ok(mayReturn(name, picked), `returned unusable ${JSON.stringify(picked)}`);
          });
        }),
        { numRuns: 150 },
      );
    });

    if (WORK_CONSERVING.has(name)) {
      it('answers whenever some dest is usable', () => {
        fc.assert(
          fc.property(scenario, (sc) => {
            play(name, sc, (picked, view) => {
              const usable = view.some((d) => d.available && d.weight > 0 && !d.overloaded);
              if (usable) assert.notEqual(picked, null);
            });
          }),
          { numRuns: 100 },
        );
      });
    }

    it('is deterministic: the same sequence gives the same picks', () => {
      fc.assert(
        fc.property(scenario, (sc) => {
          assert.deepEqual(play(name, sc), play(name, sc));
        }),
        { numRuns: 60 },
      );
    });

    it('follows dests added and removed by update()', () => {
      const ds = [0, 1, 2, 3].map((i) => new TestDest(i + 1, `D${i}`, `10.4.0.${i + 1}`, 80).set({ weight: 2 }));
      const svc = service(ds.slice(0, 3));
      const s = make(name);
      s.update(svc);
      const seen = new Set<number>();
      for (let i = 0; i < 400; i++) {
        const r = s.schedule(svc, packet({ src: client(i), dst: client(i), at: i }));
        assert.notEqual(r, null);
        seen.add(r!.id);
      }
      // Remove the second dest: it must never come back.
      const gone = ds[1];
      svc.dests = [ds[0], ds[2]];
      gone.available = false;
      s.update(svc);
      for (let i = 0; i < 400; i++) {
        const r = s.schedule(svc, packet({ src: client(i), dst: client(i), at: 1000 + i }));
        assert.notEqual(r, null);
        assert.notEqual(r!.id, gone.id);
      }
      // Add a fourth: everything returned is still in the view.
      svc.dests = [ds[0], ds[2], ds[3]];
      s.update(svc);
      for (let i = 0; i < 400; i++) {
        const r = s.schedule(svc, packet({ src: client(i), dst: client(i), at: 2000 + i }));
        assert.ok(r !== null && svc.dests.includes(r as TestDest));
      }
    });
  });
}
