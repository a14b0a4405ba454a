import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CONN_F_NO_OUT, ConnTable, WHEEL_TICK_MS } from '../../src/ipvs/conn-table.js';

/** Fills conn i as an IPv4 TCP conn with the given tuple words. */
function fill(ct: ConnTable, i: number, c: number, cp: number, v: number, vp: number, l: number, lp: number, d: number, dp: number): void {
  ct.setProtoStateMethod(i, 6, 0, 0);
  ct.setAddr(i, 0, c, 0, 0, 0);
  ct.setAddr(i, 1, v, 0, 0, 0);
  ct.setAddr(i, 2, l, 0, 0, 0);
  ct.setAddr(i, 3, d, 0, 0, 0);
  ct.setPorts(i, cp, vp, lp, dp);
}

test('both directions of a connection find it, with the direction', () => {
  const ct = new ConnTable(16);
  const i = ct.alloc(false);
  fill(ct, i, 0x0a000030, 40000, 0x0a000064, 80, 0xc0a864c8, 1025, 0xc0a86402, 80);
  ct.hashConn(i);
  assert.equal(ct.lookup(6, 0x0a000030, 0, 0, 0, 40000, 0x0a000064, 0, 0, 0, 80, false), i << 1);
  assert.equal(ct.lookup(6, 0xc0a86402, 0, 0, 0, 80, 0xc0a864c8, 0, 0, 0, 1025, false), (i << 1) | 1);
  assert.equal(ct.lookup(17, 0x0a000030, 0, 0, 0, 40000, 0x0a000064, 0, 0, 0, 80, false), -1, 'protocol is part of the key');
  assert.equal(ct.lookup(6, 0x0a000030, 0, 0, 0, 40000, 0x0a000064, 0, 0, 0, 80, true), -1, 'templates are a separate key space');
  ct.unhashConn(i);
  assert.equal(ct.lookup(6, 0x0a000030, 0, 0, 0, 40000, 0x0a000064, 0, 0, 0, 80, false), -1);
});

test('no-out connections (DR/tunnel) hash only the client side', () => {
  const ct = new ConnTable(8);
  const i = ct.alloc(false);
  fill(ct, i, 1, 2, 3, 4, 1, 2, 5, 4);
  ct.setFlags(i, ct.flags(i) | CONN_F_NO_OUT);
  ct.hashConn(i);
  assert.equal(ct.lookup(6, 5, 0, 0, 0, 4, 1, 0, 0, 0, 2, false), -1);
  assert.equal(ct.lookup(6, 1, 0, 0, 0, 2, 3, 0, 0, 0, 4, false), i << 1);
});

test('IPv6 connections keep all four addresses in the side store', () => {
  const ct = new ConnTable(8);
  const a = ct.alloc(true);
  const b = ct.alloc(true);
  for (const [i, x] of [[a, 1], [b, 2]] as const) {
    ct.setProtoStateMethod(i, 17, 0, 0);
    ct.setAddr(i, 0, 0x20010db8, 0, 0, x);
    ct.setAddr(i, 1, 0x20010db8, 0, 0, 0x100);
    ct.setAddr(i, 2, 0xc0a864c8, 0, 0, 0);
    ct.setAddr(i, 3, 0xc0a86402, 0, 0, 0);
    ct.setPorts(i, 5000, 53, 1025 + x, 53);
    ct.hashConn(i);
  }
  assert.equal(ct.lookup(17, 0x20010db8, 0, 0, 2, 5000, 0x20010db8, 0, 0, 0x100, 53, false), b << 1);
  assert.equal(ct.lookup(17, 0xc0a86402, 0, 0, 0, 53, 0xc0a864c8, 0, 0, 0, 1026, false), (a << 1) | 1);
  ct.unhashConn(a);
  ct.release(a);
  const c = ct.alloc(true);
  assert.equal(ct.v6Index(c), ct.v6Index(a), 'the freed v6 store slot is reused');
});

test('random churn: the table always agrees with a model (backward-shift deletion)', () => {
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { minLength: 1, maxLength: 400 }),
    (ops) => {
      const ct = new ConnTable(64);
      const live = new Map<number, number>(); // key -> slot
      for (const [add, key] of ops) {
        if (add && !live.has(key) && live.size < 64) {
          const i = ct.alloc(false);
          // Few distinct keys in a small table: lots of colliding probe chains.
          fill(ct, i, key & 3, key, 7, 80, 9, 1000 + key, 11, 80);
          ct.hashConn(i);
          live.set(key, i);
        } else if (!add && live.has(key)) {
          const i = live.get(key)!;
          ct.unhashConn(i);
          ct.release(i);
          live.delete(key);
        }
        for (let k = 0; k <= 40; k++) {
          const want = live.has(k) ? live.get(k)! << 1 : -1;
          if (ct.lookup(6, k & 3, 0, 0, 0, k, 7, 0, 0, 0, 80, false) !== want) return false;
          const wantOut = live.has(k) ? (live.get(k)! << 1) | 1 : -1;
          if (ct.lookup(6, 11, 0, 0, 0, 80, 9, 0, 0, 0, 1000 + k, false) !== wantOut) return false;
        }
      }
      return ct.count === live.size;
    },
  ), { numRuns: 200 });
});

test('the wheel expires each connection at its time, re-filing refreshed ones', () => {
  const ct = new ConnTable(16);
  const t0 = 1_000_000;
  ct.startClock(t0);
  const expired: [number, number][] = [];
  let now = t0;
  const expire = (i: number) => { expired.push([i, now]); ct.unlink(i); ct.release(i); };
  const a = ct.alloc(false); ct.setExpires(a, t0 + 3_000); ct.link(a);
  const b = ct.alloc(false); ct.setExpires(b, t0 + 90_000); ct.link(b);
  const c = ct.alloc(false); ct.setExpires(c, t0 + 1_000_000); ct.link(c); // beyond the wheel's span
  for (now = t0; now <= t0 + 2_000; now += WHEEL_TICK_MS) ct.advance(now, expire);
  assert.equal(expired.length, 0);
  ct.setExpires(a, t0 + 5_000); // a packet refreshed it
  for (; now <= t0 + 1_100_000; now += WHEEL_TICK_MS) ct.advance(now, expire);
  assert.deepEqual(expired.map(([i]) => i), [a, b, c]);
  for (const [i, at] of expired) {
    const due = i === a ? t0 + 5_000 : i === b ? t0 + 90_000 : t0 + 1_000_000;
    assert.ok(at >= due && at < due + 2 * WHEEL_TICK_MS, `conn ${i} expired at +${at - t0}, due +${due - t0}`);
  }
});

test('expiry stays exact across the base moving forward (a daemon running for weeks)', () => {
  const ct = new ConnTable(8);
  const day = 86_400_000;
  const t0 = 1_700_000_000_123;
  ct.startClock(t0);
  const gone: number[] = [];
  const expire = (i: number) => { gone.push(i); ct.unlink(i); ct.release(i); };
  const long = ct.alloc(false);
  ct.setExpires(long, t0 + 20 * day);
  ct.link(long);
  for (let t = t0; t <= t0 + 13 * day; t += 3_600_000) ct.advance(t, expire); // past the ~12.4-day rebase
  assert.equal(gone.length, 0);
  assert.equal(ct.expiresMs(long), t0 + 20 * day, 'the absolute expiry survives the rebase');
  const now = t0 + 13 * day + 17;
  const short = ct.alloc(false);
  ct.setExpires(short, now + 3_000);
  ct.link(short);
  assert.equal(ct.isDue(short, now + 2_999), false);
  assert.equal(ct.isDue(short, now + 3_000), true);
  for (let t = t0 + 13 * day; t < now + 3_000; t += 50) ct.advance(t, expire);
  assert.deepEqual(gone, [], 'not before its time');
  // Lookups see the exact time (isDue above); the wheel reaps within one 100 ms tick of it.
  ct.advance(now + 3_000 + WHEEL_TICK_MS, expire);
  assert.deepEqual(gone, [short]);
  for (let t = now; t <= t0 + 20 * day; t += 3_600_000) ct.advance(t, expire);
  ct.advance(t0 + 20 * day, expire);
  assert.deepEqual(gone, [short, long]);
});
