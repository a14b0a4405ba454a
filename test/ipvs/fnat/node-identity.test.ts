// FullNAT choices that must differ or agree between the nodes of a VRRP pair sharing LIPs: the
// ISN's clock term in wall time with the shared secret, and the rotated start of the port rings.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LADDR_BUCKETS, LPORT_MAX, LPORT_MIN, LocalAddr } from '../../../src/ipvs/laddr.js';
import { ip4 } from '../../../src/packet/inet.js';
import type { FnatIdentity } from '../../../src/worker/engine.js';
import { engineFrom } from '../../support/fixture.js';
import { V4, config, fromClient, toRs, where } from './frames.js';

/** The RS-side SYN (LIP port, sequence number) of a SYN from client port cport on a fresh node. */
function synOnNode(fnat: FnatIdentity, clockMs: number, cport: number): { lport: number; seq: number } {
  const conv = engineFrom(config(V4), { fnat, startMs: clockMs });
  const got: { lport: number; seq: number }[] = [];
  conv.step({
    desc: `SYN from client port ${cport} -> RS`,
    in: { port: 'dpdk1', frame: fromClient(V4).tcp({ sport: cport, dport: 80, flags: 'S', seq: 1000 }) },
    out: [toRs(V4, 0, { l4: { tcp: { sport: where(() => true), dport: 80, flags: 'S', seq: where(() => true), options: [] } }, len: 20 }, V4.lips[0])],
    save: (o) => { got.push({ lport: o[0]!.tcp!.sport!, seq: o[0]!.tcp!.seq! }); },
  });
  return got[0]!;
}

/** 64 ns ticks per ms, as in DPVS's tcp_secure_sequence_number. */
const TICKS_PER_MS = 15_625;
const WALL = 1_795_000_000_000;

describe('FullNAT node identity', () => {
  test('ISN: the same out tuple from two nodes with one secret grows by the wall time between them, whatever each clock started at', () => {
    // Node A has run for 1000 s; node B (the other node, or A restarted) started 2 s ago.
    const a = synOnNode({ seqSecret: 0x5a5a1234, lportSeed: 0, isnClockOffsetMs: WALL - 1_000_000 }, 1_000_000, 20001);
    const b = synOnNode({ seqSecret: 0x5a5a1234, lportSeed: 0, isnClockOffsetMs: WALL + 5000 - 2000 }, 2000, 20002);
    assert.equal(a.lport, LPORT_MIN);
    assert.equal(b.lport, LPORT_MIN);
    // A real server holding LIP:1025 in TIME_WAIT opens B's connection only if B's ISN is after
    // the old one's (no timestamps: FullNAT strips them from the SYN).
    assert.equal((b.seq - a.seq) >>> 0, 5000 * TICKS_PER_MS);
  });

  test('ISN: another secret gives another sequence for the same tuple and time', () => {
    const a = synOnNode({ seqSecret: 0x5a5a1234, lportSeed: 0, isnClockOffsetMs: WALL }, 1000, 20001);
    const b = synOnNode({ seqSecret: 0x1234abcd, lportSeed: 0, isnClockOffsetMs: WALL }, 1000, 20001);
    assert.notEqual(a.seq, b.seq);
  });

  test('port rings: seed 0 starts at 1025; a seed starts each (LIP, bucket) elsewhere, reproducibly, and still hands out every port once', () => {
    const lip = ip4(0xc0a864c8);
    const first = (seed: number, b: number): number => new LocalAddr(lip, 0, 0, 1, seed).take(b);
    for (let b = 0; b < LADDR_BUCKETS; b++) assert.equal(first(0, b), LPORT_MIN);
    const starts = Array.from({ length: LADDR_BUCKETS }, (_, b) => first(0x3c1e_55aa, b));
    assert.deepEqual(starts, Array.from({ length: LADDR_BUCKETS }, (_, b) => first(0x3c1e_55aa, b)));
    assert.ok(new Set(starts).size > LADDR_BUCKETS / 2, `starts spread over the range: ${starts.join(' ')}`);
    assert.notEqual(first(0x3c1e_55aa, 0), first(0x3c1e_55ab, 0));
    const la = new LocalAddr(lip, 0, 0, 1, 0x3c1e_55aa);
    const ports: number[] = [];
    for (let p = la.take(5); p >= 0; p = la.take(5)) ports.push(p);
    assert.equal(ports.length, LPORT_MAX - LPORT_MIN + 1);
    assert.equal(new Set(ports).size, ports.length);
    // Consecutive from the start, wrapping past 65535 to 1025.
    const i = ports.indexOf(LPORT_MIN);
    assert.deepEqual(ports.slice(i, i + 3), [LPORT_MIN, LPORT_MIN + 1, LPORT_MIN + 2]);
    assert.equal(ports[i - 1], LPORT_MAX);
  });

  test('port rings: a worker\'s slice keeps its low bits with a seed (worker 1 of 2: odd ports)', () => {
    const la = new LocalAddr(ip4(0xc0a864c8), 0, 1, 2, 99);
    for (let k = 0; k < 100; k++) assert.equal(la.take(0) & 1, 1);
  });
});
