// conhash: libconhash's hash against a BigInt reading of it (and MD5 against node:crypto),
// DPVS's node names, the ring against an independently built one, stickiness, weighted spread
// and minimal disruption.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { md5Short } from '../../../src/ipvs/sched/md5.js';
import { conhashHashBytes, conhashHashString } from '../../../src/ipvs/sched/conhash-hash.js';
import { CONHASH_REPLICAS, ConhashScheduler, conhashNodeName } from '../../../src/ipvs/sched/conhash.js';
import { TestDest, client, dests, ip4Word, packet, service } from './fixtures.js';

const M64 = (1n << 64n) - 1n;

/** __conhash_hash_def with BigInt: MD5, sum of the four LE words, the mix, as a signed long. */
function hashRef(s: string): bigint {
  const d = createHash('md5').update(s, 'latin1').digest();
  let a = 0n;
  for (let i = 0; i < 4; i++) a += BigInt(d.readUInt32LE(i * 4));
  a = (a + 0x7ed55d16n + (a << 12n)) & M64;
  a = (a ^ 0xc761c23cn ^ (a >> 19n)) & M64;
  a = (a + 0x165667b1n + (a << 5n)) & M64;
  a = ((a + 0xd3a2646cn) ^ (a << 9n)) & M64;
  a = (a + 0xfd7046c5n + (a << 3n)) & M64;
  a = (a ^ 0xb55a4f09n ^ (a >> 16n)) & M64;
  a = (a * 3221225473n) & M64;
  return BigInt.asIntN(64, a);
}

function keyOf(k: Uint32Array): bigint {
  return BigInt.asIntN(64, (BigInt(k[0]) << 32n) | BigInt(k[1]));
}

/** The ring DPVS builds, from scratch: every replica name hashed, sorted, first owner kept. */
function refRing(ds: TestDest[]): { key: bigint; dest: TestDest }[] {
  const g = ds.map((d) => d.weight).filter((w) => w > 0).reduce((a, b) => gcd(a, b), 0) || 1;
  const out: { key: bigint; dest: TestDest }[] = [];
  for (const d of ds) {
    const replicas = Math.floor(d.weight / g) * 160;
    for (let r = 0; r < replicas; r++) out.push({ key: hashRef(`${conhashNodeName(d)}-${String(r).padStart(3, '0')}`), dest: d });
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out.filter((v, i) => i === 0 || v.key !== out[i - 1].key);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** DPVS's object for an IPv4 source: the address as stored (network order) read as a LE u32. */
function sipObject(src: string): string {
  const w = ip4Word(src);
  return String((((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0);
}

function refLookup(ring: { key: bigint; dest: TestDest }[], src: string): TestDest {
  const h = hashRef(sipObject(src));
  const hit = ring.find((v) => v.key >= h);
  return (hit ?? ring[0]).dest;
}

describe('libconhash hash', () => {
  it('md5Short equals node:crypto MD5 for every length that fits one block', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 55 }), (bytes) => {
        const out = new Uint32Array(4);
        md5Short(bytes, bytes.length, out);
        assert.equal(Buffer.from(out.buffer).toString('hex'), createHash('md5').update(bytes).digest('hex'));
      }),
      { numRuns: 500 },
    );
  });

  it('the lookup and ring hashes equal the BigInt reading of __conhash_hash_def', () => {
    const key = new Uint32Array(2);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdef.:-'), minLength: 0, maxLength: 55 }), (s) => {
        const want = hashRef(s);
        conhashHashString(s, key);
        assert.equal(keyOf(key), want);
        conhashHashBytes(Buffer.from(s, 'latin1'), s.length, key);
        assert.equal(keyOf(key), want);
      }),
      { numRuns: 500 },
    );
  });
});

describe('conhash ring', () => {
  it('names nodes as DPVS does: inet_ntop then the network-order port printed as a host int', () => {
    assert.equal(conhashNodeName(new TestDest(1, 'A', '10.0.0.1', 80)), '10.0.0.120480');
    assert.equal(conhashNodeName(new TestDest(2, 'B', '2001:db8::1', 443)), '2001:db8::147873');
    assert.equal(conhashNodeName(new TestDest(3, 'C', '::1.2.3.4', 1)), '::1.2.3.4256');
    assert.equal(conhashNodeName(new TestDest(4, 'D', '::ffff:1.2.3.4', 256)), '::ffff:1.2.3.41');
    assert.equal(conhashNodeName(new TestDest(5, 'E', '::1', 0)), '::10');
  });

  it('has 160 virtual nodes per unit of weight/gcd; weight 0 has none', () => {
    const s = new ConhashScheduler();
    s.update(service(dests(2, 4, 0, 6)));
    assert.equal(s.ringSize, (1 + 2 + 0 + 3) * CONHASH_REPLICAS);
  });

  it('sends each source where a ring built from the DPVS recipe does', () => {
    const ds = dests(1, 2, 3);
    ds[1] = new TestDest(2, 'B', '2001:db8::2', 8080).set({ weight: 2 });
    const svc = service(ds);
    const s = new ConhashScheduler();
    s.update(svc);
    const ring = refRing(ds);
    assert.equal(s.ringSize, ring.length);
    for (let i = 0; i < 300; i++) {
      const src = client(i * 40503);
      assert.equal(s.schedule(svc, packet({ src })), refLookup(ring, src), src);
    }
  });

  it('folds an IPv6 source by xoring its words before printing it', () => {
    const ds = dests(1, 1, 1);
    const svc = service(ds);
    const s = new ConhashScheduler();
    s.update(svc);
    // 2001:db8::a00:1 folds to 0x20010db8 ^ 0x0a000001: the same object as that IPv4 source.
    const v4 = '42.1.13.185'; // 0x2a010db9
    assert.equal(ip4Word(v4), (0x20010db8 ^ 0x0a000001) >>> 0);
    assert.equal(s.schedule(svc, packet({ src: '2001:db8::a00:1' })), s.schedule(svc, packet({ src: v4 })));
  });
});

describe('conhash scheduling', () => {
  it('is sticky: a source keeps its dest whatever the load and port', () => {
    const svc = service(dests(1, 1, 1));
    const s = new ConhashScheduler();
    s.update(svc);
    for (let i = 0; i < 100; i++) {
      const src = client(i * 977);
      const first = s.schedule(svc, packet({ src, sport: 1 }));
      svc.dests[i % 3].activeConns += 7;
      assert.equal(s.schedule(svc, packet({ src, sport: 2 + i })), first);
    }
  });

  it('spreads sources in proportion to weight, within 20%', () => {
    // A weight-w dest owns the arcs before its 160*w virtual nodes; the relative spread of such
    // a share is about 1/sqrt(160 w) (8% for weight 1), so 20% is about 2.5 standard deviations.
    const weights = [1, 2, 3, 1, 1];
    const ds = dests(...weights);
    const svc = service(ds);
    const s = new ConhashScheduler();
    s.update(svc);
    const counts = new Map<unknown, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const d = s.schedule(svc, packet({ src: client((i * 2654435761) >>> 8) }));
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    const total = weights.reduce((a, b) => a + b);
    ds.forEach((d, i) => {
      const ratio = (counts.get(d) ?? 0) / n / (weights[i] / total);
      assert.ok(ratio > 0.8 && ratio < 1.2, `${d.label} got ${ratio.toFixed(3)} of its share`);
    });
  });

  it('removing a dest moves only its own sources', () => {
    const ds = dests(2, 2, 2, 2, 2);
    const svc = service(ds);
    const s = new ConhashScheduler();
    s.update(svc);
    const srcs = Array.from({ length: 5000 }, (_, i) => client(i * 7717));
    const before = srcs.map((src) => s.schedule(svc, packet({ src })));
    svc.dests = ds.filter((_, i) => i !== 2);
    ds[2].available = false;
    s.update(svc); // the gcd stays 2, so every other dest keeps its virtual nodes
    let moved = 0;
    srcs.forEach((src, i) => {
      const now = s.schedule(svc, packet({ src }));
      if (before[i] === ds[2]) {
        moved++;
        assert.notEqual(now, ds[2]);
      } else {
        assert.equal(now, before[i]);
      }
    });
    assert.ok(moved > 500);
  });

  it('has no fallback: an overloaded or quiescent dest gives null to its sources', () => {
    const ds = dests(1, 1);
    const svc = service(ds);
    const s = new ConhashScheduler();
    s.update(svc);
    const src = '10.7.7.7';
    const d = s.schedule(svc, packet({ src })) as TestDest;
    d.overloaded = true;
    assert.equal(s.schedule(svc, packet({ src })), null);
    d.overloaded = false;
    d.weight = 0;
    assert.equal(s.schedule(svc, packet({ src })), null); // until update() takes it off the ring
    s.update(svc);
    assert.notEqual(s.schedule(svc, packet({ src })), null);
  });
});
