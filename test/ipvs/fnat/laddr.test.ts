// FullNAT local addresses and ports for IPv4, IPv6 and NAT64: unique out tuples, LIPs in turn,
// ports back to the pool on expiry (FIFO), the worker's slice, exhaustion, no usable LIP.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { laddrBucket } from '../../../src/ipvs/laddr.js';
import { engineFrom } from '../../support/fixture.js';
import { FAMILIES, FULL_POOL, type Family, type Check, type FnatStep, config, fromClient, laddrOf, run, runFnat, toRs, where } from './frames.js';

/** A bare SYN from client c's port `cport`. */
function syn(f: Family, cport: number, c: 0 | 1 = 0): FnatStep['in'] {
  return { port: 'dpdk1', frame: fromClient(f, c).tcp({ sport: cport, dport: 80, flags: 'S', seq: 1000 }) };
}

/** Its translation to RS r from lip:lport (either may be a predicate from where()). */
function synOut(f: Family, r: 0 | 1, lport: unknown, lip: unknown = f.lips[0]) {
  return toRs(f, r, { l4: { tcp: { sport: lport, dport: 80, flags: 'S', options: [] } }, len: 20 }, lip);
}

const connCount = (n: number): Check => (e) => assert.equal(e.conns.count, n, 'connections');

/** SYN_RECV lasts 30 s: a SYN nobody answers holds its port that long. */
const SYN_RECV_MS = 30_000;

for (const f of FAMILIES) {
  describe(`FullNAT local addresses, ${f.name}`, () => {
    test(`the two RS ${f.rsShareBucket ? 'share one' : 'have separate'} bucket(s) of local ports`, () => {
      const { engine } = engineFrom(config(f));
      const [d2, d3] = engine.ipvs.services[0]!.dests;
      const bucket = (d: typeof d2) => laddrBucket(d!.addrW0, d!.addrW1, d!.addrW2, d!.addrW3, d!.port);
      assert.equal(bucket(d2) === bucket(d3), f.rsShareBucket);
    });

    test('200 SYNs from two clients (ports reused between them) to two RS: every out tuple unique, ports from 1025 up', () => {
      const steps: FnatStep[] = [];
      for (let k = 0; k < 200; k++) {
        const c = k < 100 ? 0 : 1;
        // rr alternates the RS; each bucket hands out its ports in order.
        const lport = 1025 + (f.rsShareBucket ? k : k >> 1);
        steps.push({
          desc: `SYN ${k} from client ${c} port ${20000 + (k % 100)} -> RS .${2 + (k % 2)} from LIP:${lport}`,
          in: syn(f, 20000 + (k % 100), c),
          out: [synOut(f, (k % 2) as 0 | 1, lport)],
          save: (o, ctx) => { ctx[`t${k}`] = `${o[0]!.ipv4?.src ?? o[0]!.ipv6!.src}:${o[0]!.tcp!.sport} > ${o[0]!.ipv4?.dst ?? o[0]!.ipv6!.dst}:${o[0]!.tcp!.dport}`; },
        });
      }
      const { ctx, engine } = runFnat(config(f), steps);
      assert.equal(new Set(Object.values(ctx)).size, 200, 'distinct (LIP, lport, RIP, rport)');
      assert.equal(engine.conns.count, 200);
      assert.equal(laddrOf(engine, f.lips[0]).free(), FULL_POOL - 200);
    });

    test('two LIPs: new connections take them in turn, each with its own ports', () => {
      runFnat(config(f, { lips: f.lips }), [
        { desc: 'SYN 1 -> RS .2 from LIP A:1025', in: syn(f, 20001), out: [synOut(f, 0, 1025, f.lips[0])] },
        { desc: 'SYN 2 -> RS .3 from LIP B:1025', in: syn(f, 20002), out: [synOut(f, 1, 1025, f.lips[1])] },
        { desc: 'SYN 3 -> RS .2 from LIP A:1026', in: syn(f, 20003), out: [synOut(f, 0, 1026, f.lips[0])] },
        {
          desc: 'SYN 4 -> RS .3 from LIP B:1026', in: syn(f, 20004), out: [synOut(f, 1, 1026, f.lips[1])],
          check: (e) => assert.deepEqual(f.lips.map((l) => laddrOf(e, l).free()), [FULL_POOL - 2, FULL_POOL - 2]),
        },
      ]);
    });

    // DPVS (__laddr_step) skips one LIP on 5% of binds under rr/wrr so the two round robins do not
    // lock step; tsvs skips on every 20th bind.
    test('each RS sees both LIPs when rr runs over two RS and two LIPs', () => {
      const any = where(() => true);
      const steps: FnatStep[] = [];
      for (let k = 0; k < 100; k++) {
        steps.push({
          desc: `SYN ${k} -> RS .${2 + (k % 2)}`, in: syn(f, 20000 + k), out: [synOut(f, (k % 2) as 0 | 1, any, any)],
          save: (o, ctx) => { ctx[`lip${k}`] = `RS .${2 + (k % 2)} from ${o[0]!.ipv4?.src ?? o[0]!.ipv6!.src}`; },
        });
      }
      const { ctx } = runFnat(config(f, { lips: f.lips }), steps);
      assert.equal(new Set(Object.values(ctx)).size, 4, 'RS .2 and RS .3 each reached from LIP A and LIP B');
    });

    test('ports go back to the pool when connections expire; a returned port waits at the back of its ring', () => {
      // RS .3 has taken 1025 (or 1025..1027 from the shared ring) and got it back: the next is the one after.
      const next3 = f.rsShareBucket ? 1028 : 1026;
      runFnat(config(f), [
        { desc: 'SYN 1 -> RS .2 from 1025', in: syn(f, 20001), out: [synOut(f, 0, 1025)] },
        { desc: 'SYN 2 -> RS .3', in: syn(f, 20002), out: [synOut(f, 1, f.rsShareBucket ? 1026 : 1025)] },
        {
          desc: 'SYN 3 -> RS .2', in: syn(f, 20003), out: [synOut(f, 0, f.rsShareBucket ? 1027 : 1026)],
          check: (e, ctx) => { connCount(3)(e, ctx); assert.equal(laddrOf(e, f.lips[0]).free(), FULL_POOL - 3); },
        },
        { desc: 'no answer: still held at 29.9 s (SYN_RECV)', wait: SYN_RECV_MS - 100, out: [], check: connCount(3) },
        {
          desc: 'at 30 s all three expire and their ports are free again', wait: 100, out: [],
          check: (e, ctx) => { connCount(0)(e, ctx); assert.equal(laddrOf(e, f.lips[0]).free(), FULL_POOL); },
        },
        { desc: `SYN 4 -> RS .3 from ${next3}, not the port just returned`, in: syn(f, 20004), out: [synOut(f, 1, next3)] },
      ]);
    });

    test('the worker\'s slice of ports (worker 3 of 64: port % 64 == 3), exhaustion -> no_lport, recovery on expiry', () => {
      const conv = engineFrom(config(f, { rs: 1 }), { worker: 3, workers: 64 });
      const la = laddrOf(conv.engine, f.lips[0]);
      const slice = Math.floor((65535 - 1027) / 64) + 1; // 1027, 1091, ..., 65475: 1008 ports
      assert.equal(la.free(), 16 * slice);
      const steps: FnatStep[] = [];
      for (let k = 0; k < slice; k++) {
        steps.push({ desc: `SYN ${k} -> RS .2 from ${1027 + 64 * k}`, in: syn(f, 2000 + k), out: [synOut(f, 0, 1027 + 64 * k)] });
      }
      run(conv, [
        ...steps,
        {
          desc: 'one more SYN: the RS\'s bucket is empty -> dropped, no_lport', in: syn(f, 2000 + slice), out: [], drop: 'no_lport',
          check: (e) => {
            assert.equal(e.conns.count, slice);
            assert.equal(la.conflicts, 1);
            assert.equal(la.free(), 15 * slice, 'the other 15 buckets are untouched');
          },
        },
        { desc: 'the SYNs expire after 30 s', wait: SYN_RECV_MS, out: [], check: (e) => { assert.equal(e.conns.count, 0); assert.equal(la.free(), 16 * slice); } },
        {
          // Which freed port comes first follows the order the timer wheel expired connections
          // that fell due in the same tick: not this test's business.
          desc: 'a new SYN gets a port of the worker\'s slice again',
          in: syn(f, 2000 + slice), out: [synOut(f, 0, where((p: number) => p % 64 === 3 && p >= 1027))],
        },
      ]);
    });

    test('a FullNAT service without local addresses drops new connections: no_laddr', () => {
      runFnat(config(f, { lips: [] }), [{ desc: 'SYN -> dropped', in: syn(f, 20001), out: [], drop: 'no_laddr', check: connCount(0) }]);
    });

    test('a LIP of the other family cannot reach the RS: no_laddr', () => {
      const other = f.rv === 4 ? 'fd00::200' : '192.168.100.200';
      runFnat(config(f, { lips: [other] }), [{ desc: 'SYN -> dropped', in: syn(f, 20001), out: [], drop: 'no_laddr', check: connCount(0) }]);
    });
  });
}
