// sh and dh: the 256-bucket tables against a second, simple reading of the kernel's fill, the
// bucket a source lands in against hash_32 computed with BigInt, stickiness and sh-fallback.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShScheduler } from '../../../src/ipvs/sched/sh.js';
import { DhScheduler } from '../../../src/ipvs/sched/dh.js';
import { type TestDest, client, dests, ip4Word, packet, service } from './fixtures.js';

/**
 * ip_vs_sh_reassign as prose: go round the list; each dest fills `weight` buckets in a row
 * before the next one's turn; a dest whose weight is 0 or less still fills one (its counter
 * reaches 1 >= weight at once).
 */
function expectedShTable(weights: number[]): number[] {
  const out: number[] = [];
  while (out.length < 256) {
    weights.forEach((w, i) => {
      for (let k = 0; k < Math.max(w, 1); k++) out.push(i);
    });
  }
  return out.slice(0, 256);
}

/** hash_32(x, 8) with exact integer arithmetic: the top 8 bits of x * 0x61C88647 mod 2^32. */
function hash32Ref(x: number): number {
  return Number(((BigInt(x >>> 0) * 0x61c88647n) & 0xffffffffn) >> 24n);
}

function shTable(s: ShScheduler, ds: TestDest[]): number[] {
  return Array.from({ length: 256 }, (_, i) => ds.indexOf(s.bucket(i) as TestDest));
}

describe('sh table', () => {
  for (const weights of [[1, 1, 1], [2, 1, 1], [3, 0, 1], [5, 200, 2]]) {
    it(`weights ${weights.join(',')}: all 256 buckets as the kernel fills them`, () => {
      const ds = dests(...weights);
      const s = new ShScheduler();
      s.update(service(ds));
      assert.deepEqual(shTable(s, ds), expectedShTable(weights));
    });
  }

  it('weights 2,1,1 start A A B C A A B C', () => {
    const ds = dests(2, 1, 1);
    const s = new ShScheduler();
    s.update(service(ds));
    assert.deepEqual(shTable(s, ds).slice(0, 8), [0, 0, 1, 2, 0, 0, 1, 2]);
  });

  it('is empty without dests', () => {
    const s = new ShScheduler();
    s.update(service([]));
    assert.equal(s.bucket(0), null);
  });
});

describe('sh scheduling', () => {
  const ds = dests(2, 1, 1);
  const table = expectedShTable([2, 1, 1]);

  it('sends a source to the bucket hash_32(source, 8)', () => {
    const svc = service(ds);
    const s = new ShScheduler();
    s.update(svc);
    for (let i = 0; i < 500; i++) {
      const src = client(i * 7919);
      assert.equal(s.schedule(svc, packet({ src })), ds[table[hash32Ref(ip4Word(src))]]);
    }
  });

  it('is sticky: the same source gets the same dest whatever the load', () => {
    const svc = service(dests(1, 1, 1));
    const s = new ShScheduler();
    s.update(svc);
    const first = s.schedule(svc, packet({ src: '172.16.5.9', sport: 1000 }));
    for (let i = 0; i < 50; i++) {
      svc.dests[i % 3].activeConns += 10;
      assert.equal(s.schedule(svc, packet({ src: '172.16.5.9', sport: 1000 + i })), first);
    }
  });

  it('folds IPv6 sources by xoring the four words', () => {
    const svc = service(ds);
    const s = new ShScheduler();
    s.update(svc);
    const fold = (0x20010db8 ^ 0 ^ 0x12345678 ^ 0x9abcdef0) >>> 0;
    assert.equal(s.schedule(svc, packet({ src: '2001:db8::1234:5678:9abc:def0' })), ds[table[hash32Ref(fold)]]);
  });

  it('adds the source port only with sh-port (flag-2), and only for TCP, UDP and SCTP', () => {
    const svc = service(ds, 'sh-port');
    const s = new ShScheduler();
    s.update(svc);
    const src = '10.9.8.7';
    for (const sport of [1, 80, 4242, 65535]) {
      const expected = ds[table[hash32Ref(ip4Word(src) + sport)]];
      assert.equal(s.schedule(svc, packet({ src, sport })), expected);
      assert.equal(s.schedule(service(ds, 'flag-2'), packet({ src, sport, proto: 'udp' })), expected);
      assert.equal(s.schedule(svc, packet({ src, sport, proto: 'icmp' })), ds[table[hash32Ref(ip4Word(src))]]);
      assert.equal(s.schedule(service(ds), packet({ src, sport })), ds[table[hash32Ref(ip4Word(src))]]);
    }
  });

  it('without sh-fallback, a source whose dest is quiescent gets no dest', () => {
    const d3 = dests(1, 1, 1);
    const svc = service(d3);
    const s = new ShScheduler();
    s.update(svc);
    d3[1].weight = 0; // quiescing keeps B's buckets (weight 0 still fills one)
    s.update(svc);
    for (let i = 0; i < 300; i++) {
      const src = client(i * 31);
      const bucketDest = d3[expectedShTable([1, 0, 1])[hash32Ref(ip4Word(src))]];
      const got = s.schedule(svc, packet({ src }));
      assert.equal(got, bucketDest === d3[1] ? null : bucketDest);
    }
  });

  it('with sh-fallback, probes the buckets the kernel probes and keeps everyone else', () => {
    const d3 = dests(1, 1, 1);
    const table111 = expectedShTable([1, 1, 1]);
    const s = new ShScheduler();
    const svc = service(d3, 'sh-fallback');
    s.update(svc);
    d3[1].overloaded = true;
    let moved = 0;
    for (let i = 0; i < 300; i++) {
      const src = client(i * 31);
      const ihash = hash32Ref(ip4Word(src));
      let expected = d3[table111[ihash]];
      if (expected === d3[1]) {
        // ip_vs_sh_get_fallback: roffset = (offset + ihash) % 256, bucket = (roffset + ihash) & 255.
        for (let offset = 0; offset < 256; offset++) {
          const bucket = (((offset + ihash) % 256) + ihash) & 255;
          if (d3[table111[bucket]] !== d3[1]) {
            expected = d3[table111[bucket]];
            break;
          }
        }
        moved++;
      }
      assert.equal(s.schedule(svc, packet({ src })), expected);
      assert.equal(s.schedule(service(d3, 'flag-1'), packet({ src })), expected);
    }
    assert.ok(moved > 50, 'the sample should hit the overloaded dest often');
  });
});

describe('dh', () => {
  it('fills the 256 buckets round robin, whatever the weights', () => {
    const ds = dests(5, 1, 1);
    const s = new DhScheduler();
    s.update(service(ds));
    for (let i = 0; i < 256; i++) assert.equal(s.bucket(i), ds[i % 3]);
  });

  it('sends a destination address to bucket hash_32(daddr, 8), ignoring the source', () => {
    const ds = dests(1, 1, 1, 1);
    const svc = service(ds);
    const s = new DhScheduler();
    s.update(svc);
    for (let i = 0; i < 300; i++) {
      const dst = client(i * 104729);
      const expected = ds[hash32Ref(ip4Word(dst)) % 4];
      assert.equal(s.schedule(svc, packet({ dst, src: client(i) })), expected);
      assert.equal(s.schedule(svc, packet({ dst, src: client(i + 1) })), expected);
    }
  });

  it('has no fallback: a quiescent, overloaded or deleted dest means no dest', () => {
    const ds = dests(1, 1);
    const svc = service(ds);
    const s = new DhScheduler();
    s.update(svc);
    const dst = '192.168.7.7';
    const d = s.schedule(svc, packet({ dst })) as TestDest;
    for (const state of [{ weight: 0 }, { overloaded: true }, { available: false }]) {
      const saved = { weight: d.weight, overloaded: d.overloaded, available: d.available };
      d.set(state);
      assert.equal(s.schedule(svc, packet({ dst })), null);
      d.set(saved);
    }
  });
});
