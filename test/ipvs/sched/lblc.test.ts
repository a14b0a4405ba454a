// lblc and lblcr: the per-destination-IP cache (hits, overload re-picks, expiry by the replayed
// kernel timers, over-size collection) and lblcr's server sets (growth, least member, shedding).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LblcScheduler } from '../../../src/ipvs/sched/lblc.js';
import { LblcrScheduler } from '../../../src/ipvs/sched/lblcr.js';
import { LOCALITY_MAX_SIZE } from '../../../src/ipvs/sched/locality-table.js';
import type { Scheduler } from '../../../src/ipvs/sched/types.js';
import { type TestService, client, dests, packet, service } from './fixtures.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

function setup<S extends Scheduler>(s: S, ...weights: number[]): { s: S; svc: TestService; at: (dst: string, t: number) => string } {
  const svc = service(dests(...weights));
  s.update(svc);
  const at = (dst: string, t: number): string => {
    const d = s.schedule(svc, packet({ dst, src: client(t % 1000), at: t }));
    return d === null ? '-' : svc.dests.find((x) => x === d)!.label;
  };
  return { s, svc, at };
}

describe('lblc', () => {
  it('keeps sending a destination address to its cached dest while wlc would pick another', () => {
    const { svc, at } = setup(new LblcScheduler(), 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A'); // both idle: wlc's first
    svc.dests[0].activeConns = 5; // busier, but 5 <= weight 10
    assert.equal(at('192.168.1.1', 1000), 'A');
    assert.equal(at('192.168.1.2', 2000), 'B'); // a new address gets wlc's pick
    assert.equal(at('192.168.1.1', 3000), 'A');
  });

  it('re-picks when the cached dest has more active connections than its weight and another is under half', () => {
    const { svc, at } = setup(new LblcScheduler(), 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].activeConns = 11;
    svc.dests[1].activeConns = 6; // 12 >= 10: nobody is under half, A stays
    assert.equal(at('192.168.1.1', 1000), 'A');
    svc.dests[1].activeConns = 4; // 8 < 10: A counts as overloaded now
    assert.equal(at('192.168.1.1', 2000), 'B');
    svc.dests[0].activeConns = 0; // the cache now says B
    assert.equal(at('192.168.1.1', 3000), 'B');
  });

  it('re-picks when the cached dest is quiescent or deleted', () => {
    const { s, svc, at } = setup(new LblcScheduler(), 10, 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].weight = 0;
    s.update(svc);
    assert.equal(at('192.168.1.1', 1000), 'B');
    const b = svc.dests[1];
    svc.dests = svc.dests.filter((d) => d !== b);
    b.available = false;
    s.update(svc);
    assert.equal(at('192.168.1.1', 2000), 'C');
  });

  it("like the kernel, keeps a cached dest past its OVERLOAD flag (only the relative rule moves it)", () => {
    const { svc, at } = setup(new LblcScheduler(), 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].overloaded = true;
    assert.equal(at('192.168.1.1', 1000), 'A');
    assert.equal(at('192.168.1.2', 2000), 'B'); // a fresh pick does honour the flag
  });

  it('expires entries unused for lblc_expiration at the half-hourly full check', () => {
    // The timer is armed by the first lookup (t = 0) and fires every minute; every 30th run is
    // a full check, so full checks fall at t = 30 min, 60 min, ... An entry goes at the first
    // full check at or after lastUse + 24 h.
    const { svc, at } = setup(new LblcScheduler(), 10, 10);
    assert.equal(at('192.168.9.9', 0), 'A');
    for (const x of ['192.168.1.1', '192.168.1.2']) assert.equal(at(x, 1 * HOUR), 'A');
    for (const x of ['192.168.1.3', '192.168.1.4']) assert.equal(at(x, 1 * HOUR + 10 * MIN), 'A');
    svc.dests[0].activeConns = 5; // from now on wlc prefers B
    assert.equal(at('192.168.1.1', 25 * HOUR - 1000), 'A'); // the 25 h check has not run
    assert.equal(at('192.168.1.2', 25 * HOUR + 1000), 'B'); // collected at exactly 1 h + 24 h
    assert.equal(at('192.168.1.3', 25 * HOUR + 20 * MIN), 'A'); // due at 25h10, next check 25h30
    assert.equal(at('192.168.1.4', 25 * HOUR + 30 * MIN + 1000), 'B');
  });

  it('a lookup refreshes the entry', () => {
    const { svc, at } = setup(new LblcScheduler(), 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].activeConns = 5;
    for (let t = 20 * HOUR; t <= 100 * HOUR; t += 20 * HOUR) assert.equal(at('192.168.1.1', t), 'A');
  });

  it('follows a configured expiration', () => {
    const s = new LblcScheduler();
    s.table.expirationMs = 10 * MIN;
    const { svc, at } = setup(s, 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    assert.equal(at('192.168.1.2', 0), 'A');
    svc.dests[0].activeConns = 5;
    assert.equal(at('192.168.1.1', 29 * MIN), 'A'); // idle 29 min, but the first full check is at 30
    assert.equal(at('192.168.1.2', 30 * MIN + 1000), 'B'); // collected at 30 min
    assert.equal(at('192.168.1.1', 31 * MIN), 'A'); // used at 29 min: kept at 30
    assert.equal(at('192.168.1.1', 60 * MIN + 1000), 'B'); // idle since 31 min: collected at 60
  });

  it('over max_size, collects entries idle for 6 minutes, a third more than the excess', () => {
    const { s, at } = setup(new LblcScheduler(), 10, 10);
    const extra = 100;
    for (let i = 0; i < LOCALITY_MAX_SIZE + extra; i++) at(client(i), 0);
    assert.equal(s.table.live, LOCALITY_MAX_SIZE + extra);
    at('192.168.200.1', 5 * MIN + 1000); // runs at 1..5 min find nothing idle for 6 min
    assert.equal(s.table.live, LOCALITY_MAX_SIZE + extra + 1);
    at('192.168.200.2', 6 * MIN + 1000); // the 6 min run removes whole buckets until 133 are gone
    const removed = LOCALITY_MAX_SIZE + extra + 2 - s.table.live;
    assert.ok(removed >= Math.trunc((extra * 4) / 3) && removed < 200, `removed ${removed}`);
  });

  it('counts a replaced entry twice in tbl->entries, as ip_vs_lblc_new does', () => {
    const { s, svc, at } = setup(new LblcScheduler(), 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].weight = 0;
    s.update(svc);
    assert.equal(at('192.168.1.1', 1000), 'B');
    assert.equal(s.table.live, 1);
    assert.equal(s.table.entries, 2);
  });
});

describe('lblcr', () => {
  it('starts a set with the wlc pick and keeps using it', () => {
    const { s, svc, at } = setup(new LblcrScheduler(), 10, 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].activeConns = 5;
    assert.equal(at('192.168.1.1', 1000), 'A');
    assert.deepEqual(s.members(0).map((d) => d.id), [1]);
  });

  it('adds the wlc pick to the set when its least member is overloaded, and then uses the least member', () => {
    const { s, svc, at } = setup(new LblcrScheduler(), 10, 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].activeConns = 11; // > weight, and C (0 < 5) is under half: overloaded
    assert.equal(at('192.168.1.1', 1000), 'B');
    assert.deepEqual(s.members(0).map((d) => d.id), [2, 1]); // newest first
    svc.dests[0].activeConns = 1;
    svc.dests[1].activeConns = 3;
    assert.equal(at('192.168.1.1', 2000), 'A'); // 256/10 < 768/10
    svc.dests[1].activeConns = 1;
    assert.equal(at('192.168.1.1', 3000), 'B'); // tie: the earlier member, B
  });

  it('sheds the most loaded member once the set has not changed for the expiration time', () => {
    const { s, svc, at } = setup(new LblcrScheduler(), 10, 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].activeConns = 11;
    assert.equal(at('192.168.1.1', 1 * HOUR), 'B'); // set {B, A} modified at 1 h
    svc.dests[0].activeConns = 1;
    svc.dests[1].activeConns = 3;
    for (let t = 2 * HOUR; t <= 25 * HOUR; t += HOUR) assert.equal(at('192.168.1.1', t), 'A');
    assert.equal(s.members(0).length, 2); // at exactly lastmod + 24 h nothing is shed
    assert.equal(at('192.168.1.1', 25 * HOUR + 1), 'A');
    assert.deepEqual(s.members(0).map((d) => d.id), [1]); // B, the most loaded, went
  });

  it('still returns the least member when it is the one shed (equal loads)', () => {
    const { s, svc, at } = setup(new LblcrScheduler(), 10, 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].activeConns = 11;
    assert.equal(at('192.168.1.1', 1000), 'B');
    svc.dests[0].activeConns = 1;
    svc.dests[1].activeConns = 1; // B is both least and most (first on ties)
    assert.equal(at('192.168.1.1', 1000 + 24 * HOUR + 1), 'B');
    assert.deepEqual(s.members(0).map((d) => d.id), [1]);
  });

  it('skips quiescent and deleted members, adding a new pick when none is left', () => {
    const { s, svc, at } = setup(new LblcrScheduler(), 10, 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].weight = 0;
    s.update(svc);
    assert.equal(at('192.168.1.1', 1000), 'B');
    assert.deepEqual(s.members(0).map((d) => d.id), [2, 1]);
    const b = svc.dests[1];
    svc.dests = svc.dests.filter((d) => d !== b);
    b.available = false;
    s.update(svc); // B leaves the set
    assert.deepEqual(s.members(0).map((d) => d.id), [1]);
    assert.equal(at('192.168.1.1', 2000), 'C');
  });

  it('expires a whole entry unused for the expiration time', () => {
    const { s, svc, at } = setup(new LblcrScheduler(), 10, 10);
    assert.equal(at('192.168.1.1', 0), 'A');
    svc.dests[0].activeConns = 5;
    assert.equal(at('192.168.1.1', 24 * HOUR + 1000), 'B'); // collected at the 24 h check
    assert.equal(s.table.live, 1);
  });
});
