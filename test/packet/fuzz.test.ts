// Property-based robustness: valid frames of every kind, damaged at random (bytes flipped, cut, junk
// appended, length fields rewritten, pieces duplicated; half with checksums made right again).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SentFrame } from '../../src/drivers/memory.js';
import { DROP_REASON_NAMES } from '../../src/packet/drop-reason.js';
import { inetChecksum, l4Checksum, verifyFrameChecksums } from '../support/csum-ref.js';
import { eth, type PacketBuilder } from '../support/builder.js';
import { type Dissection, dissect, matchFields } from '../support/dissect.js';
import { type Conversation, engineFrom } from '../support/fixture.js';
import { CIP, CONFIG, LIP, MAC, POOL, VIP } from './all-methods.js';

/** Fixed so failures reproduce; TSVS_FUZZ_SEED / TSVS_FUZZ_RUNS explore further. */
const SEED = Number(process.env.TSVS_FUZZ_SEED ?? 0x7575_2026);
const RUNS = Number(process.env.TSVS_FUZZ_RUNS ?? 20_000);

// ------------------------------------------------------------------------------- mutations

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; junk: Uint8Array }
  | { kind: 'length'; field: number; value: number }
  | { kind: 'duplicate'; from: number; len: number; to: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const), junk: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('length' as const), field: fc.nat(), value: fc.nat(0xffff) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), from: fc.nat(), len: fc.integer({ min: 1, max: 40 }), to: fc.nat() }) },
);

const be16 = (b: Uint8Array, o: number): number => b[o]! * 256 + b[o + 1]!;

/** A length field: 16 bits, 8 bits, or the low (IHL) or high (TCP data offset) nibble of a byte. */
interface Field { off: number; size: 'u16' | 'u8' | 'lo4' | 'hi4' }

/** The length fields of a frame, found by a walk that trusts nothing (the frame may be damaged). */
function lengthFields(f: Uint8Array): Field[] {
  const out: Field[] = [];
  if (f.length < 14) return out;
  let l3 = 14;
  let type = be16(f, 12);
  if (type === 0x8100 && f.length >= 18) { type = be16(f, 16); l3 = 18; }
  const transport = (proto: number, l4: number): void => {
    if (proto === 6) out.push({ off: l4 + 12, size: 'hi4' });
    if (proto === 17) out.push({ off: l4 + 4, size: 'u16' });
    // An ICMP error quotes an IPv4 or IPv6 header: its lengths too.
    if (proto === 1) out.push({ off: l4 + 8, size: 'lo4' }, { off: l4 + 10, size: 'u16' });
    if (proto === 58) out.push({ off: l4 + 12, size: 'u16' });
  };
  if (type === 0x0806) out.push({ off: l3 + 4, size: 'u8' }, { off: l3 + 5, size: 'u8' });
  if (type === 0x0800 && f.length >= l3 + 20) {
    out.push({ off: l3, size: 'lo4' }, { off: l3 + 2, size: 'u16' });
    transport(f[l3 + 9]!, l3 + (f[l3]! & 15) * 4);
  }
  if (type === 0x86dd && f.length >= l3 + 40) {
    out.push({ off: l3 + 4, size: 'u16' });
    let nh = f[l3 + 6]!;
    let o = l3 + 40;
    while ((nh === 0 || nh === 43 || nh === 60) && o + 2 <= f.length) {
      out.push({ off: o + 1, size: 'u8' });
      nh = f[o]!;
      o += (f[o + 1]! + 1) * 8;
    }
    transport(nh, o);
  }
  return out.filter((x) => x.off + (x.size === 'u16' ? 2 : 1) <= f.length);
}

function mutate(frame: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let f = frame.slice();
  for (const m of ms) {
    const n = f.length;
    switch (m.kind) {
      case 'flip':
        if (n > 0) f[m.at % n]! ^= m.xor;
        break;
      case 'truncate':
        f = f.slice(0, m.at % (n + 1));
        break;
      case 'extend': {
        const g = new Uint8Array(n + m.junk.length);
        g.set(f);
        g.set(m.junk, n);
        f = g;
        break;
      }
      case 'length': {
        const fields = lengthFields(f);
        if (fields.length === 0) break;
        const x = fields[m.field % fields.length]!;
        if (x.size === 'u16') { f[x.off] = m.value >>> 8; f[x.off + 1] = m.value & 255; }
        else if (x.size === 'u8') f[x.off] = m.value & 255;
        else if (x.size === 'lo4') f[x.off] = (f[x.off]! & 0xf0) | (m.value & 15);
        else f[x.off] = (f[x.off]! & 0x0f) | ((m.value & 15) << 4);
        break;
      }
      case 'duplicate': {
        if (n === 0) break;
        const from = m.from % n;
        const piece = f.slice(from, from + m.len);
        const to = m.to % (n + 1);
        const g = new Uint8Array(n + piece.length);
        g.set(f.subarray(0, to));
        g.set(piece, to);
        g.set(f.subarray(to), to + piece.length);
        f = g;
        break;
      }
    }
  }
  return f;
}

/**
 * Rewrites the outer IPv4 header checksum and the transport checksum to match the damaged bytes,
 * where the headers can be found: the frame becomes odd but valid, and goes deeper into the engine.
 */
function fixChecksums(f: Uint8Array): Uint8Array {
  const l3 = f.length >= 18 && be16(f, 12) === 0x8100 ? 18 : 14;
  const type = f.length >= l3 ? be16(f, l3 - 2) : 0;
  let l4: number, end: number, proto: number, src: Uint8Array, dst: Uint8Array;
  if (type === 0x0800 && f.length >= l3 + 20) {
    const ihl = (f[l3]! & 15) * 4;
    if (ihl < 20 || l3 + ihl > f.length) return f;
    f[l3 + 10] = 0; f[l3 + 11] = 0;
    const c = inetChecksum(f, l3, ihl);
    f[l3 + 10] = c >>> 8; f[l3 + 11] = c & 255;
    if ((be16(f, l3 + 6) & 0x3fff) !== 0) return f;
    l4 = l3 + ihl; end = Math.min(f.length, l3 + be16(f, l3 + 2)); proto = f[l3 + 9]!;
    src = f.subarray(l3 + 12, l3 + 16); dst = f.subarray(l3 + 16, l3 + 20);
  } else if (type === 0x86dd && f.length >= l3 + 40) {
    l4 = l3 + 40; end = Math.min(f.length, l3 + 40 + be16(f, l3 + 4)); proto = f[l3 + 6]!;
    src = f.subarray(l3 + 8, l3 + 24); dst = f.subarray(l3 + 24, l3 + 40);
  } else {
    return f;
  }
  const at = proto === 6 ? 16 : proto === 17 ? 6 : proto === 1 || proto === 58 ? 2 : -1;
  if (at < 0 || l4 + at + 2 > end) return f;
  f[l4 + at] = 0; f[l4 + at + 1] = 0;
  let c = proto === 1 ? inetChecksum(f, l4, end - l4) : l4Checksum(src.slice(), dst.slice(), proto, f, l4, end - l4);
  if (proto === 17 && c === 0) c = 0xffff;
  f[l4 + at] = c >>> 8; f[l4 + at + 1] = c & 255;
  return f;
}

// ------------------------------------------------------------------------------- what must hold

/** The IP packet in a frame (after Ethernet and any 802.1Q tag). */
function ipPacket(f: Uint8Array): Uint8Array {
  const l3 = f.length >= 18 && be16(f, 12) === 0x8100 ? 18 : 14;
  return f.subarray(l3);
}

const isIcmpError = (d: Dissection): boolean => (d.icmp !== undefined && [3, 4, 5, 11, 12].includes(d.icmp.type))
  || (d.icmpv6 !== undefined && d.icmpv6.type < 128);

/** Frames tsvs may send about a frame it could not take: neighbour resolution and ICMP errors. */
const isControl = (d: Dissection): boolean => d.arp !== undefined || isIcmpError(d)
  || (d.icmpv6 !== undefined && (d.icmpv6.type === 135 || d.icmpv6.type === 136));

/** ARP replies and neighbour advertisements are learnt from, and nothing else happens. */
function isNeighbourNews(d: Dissection): boolean {
  return (d.arp !== undefined && d.arp.op === 2) || d.icmpv6?.type === 136;
}

/**
 * The independent routine's complaints about a frame. A UDP length shorter than the IP payload is
 * set aside: it is no checksum matter (the UDP checksum covers the UDP length), and a datagram
 * with no checksum (0) and bytes after its UDP length is passed on as the kernel's IPVS passes it.
 */
function checksumProblems(f: Uint8Array): string[] {
  return verifyFrameChecksums(f).problems.filter((p) => !/udp: length field \d+ but the IP payload/.test(p));
}

interface Outcome {
  /** Drops counted for the frame, and the reasons whose counters moved. */
  drops: number;
  reasons: string[];
  sent: SentFrame[];
  kernel: SentFrame[];
  /** Frames added to neighbour queues. */
  queued: number;
}

/** Feeds one frame and reports what the engine did with it. */
function feed(c: Conversation, port: string, f: Uint8Array): Outcome {
  const e = c.engine;
  const queuedNow = () => e.stack.neighs.all().reduce((a, n) => a + n.queue.length, 0);
  const d0 = Float64Array.from(e.stack.counters.drops);
  const q0 = queuedNow();
  c.sink.take();
  const buf = new Uint8Array(128 + f.length + 32);
  buf.set(f, 128);
  e.input(e.stack.portByName(port)!.index, buf, 128, f.length);
  const outs = c.sink.take();
  const delta = [...e.stack.counters.drops].map((n, r) => n - d0[r]!);
  return {
    drops: delta.reduce((a, b) => a + b, 0),
    reasons: delta.flatMap((n, r) => (n > 0 ? [DROP_REASON_NAMES[r]!] : [])),
    sent: outs.filter((o) => !o.kernel),
    kernel: outs.filter((o) => o.kernel),
    queued: queuedNow() - q0,
  };
}

/**
 * What must hold for any frame, well formed or not:
 * - at most one drop is counted for it;
 * - what goes up to the kernel is the frame exactly as it came;
 * - every frame sent out has valid checksums (by the independent routine);
 * - a frame that is not dropped, not sent on and not handed up is queued for a neighbour, or is
 *   an ARP reply / neighbour advertisement (learnt from);
 * - a frame that is dropped, or whose checksums are wrong, is never forwarded: at most an ICMP
 *   error or a neighbour solicitation comes out of it;
 * - an ICMP error tsvs originates about a frame quotes that frame's IP packet as it arrived.
 */
function checkOutcome(input: Uint8Array, o: Outcome): void {
  assert.ok(o.drops <= 1, `${o.drops} drops for one frame`);
  for (const k of o.kernel) assert.deepEqual(k.data, input, 'the kernel gets the frame untouched');
  const outs = o.sent.map((s) => dissect(s.data));
  o.sent.forEach((s, i) => {
    const problems = checksumProblems(s.data);
    assert.deepEqual(problems, [], `sent frame ${i + 1} has bad checksums\n  ${JSON.stringify(outs[i])}`);
  });
  const din = dissect(input);
  if (o.drops === 0 && o.sent.length === 0 && o.kernel.length === 0) {
    assert.ok(o.queued === 1 || isNeighbourNews(din), 'the frame vanished: no drop, nothing sent, nothing queued');
  }
  if (o.drops > 0) {
    outs.forEach((d, i) => assert.ok(isControl(d), `a dropped frame was also forwarded as ${JSON.stringify(d)} (output ${i + 1})`));
  }
  if (checksumProblems(input).length > 0) {
    outs.forEach((d, i) => assert.ok(isControl(d), `a frame with bad checksums was forwarded as ${JSON.stringify(d)} (output ${i + 1})`));
  }
  if (!isIcmpError(din)) {
    const ip = ipPacket(input);
    o.sent.forEach((s, i) => {
      if (!isIcmpError(outs[i]!)) return;
      const quote = ipPacket(s.data).subarray(outs[i]!.ipv4 ? 28 : 48);
      assert.deepEqual(quote, ip.subarray(0, quote.length), `ICMP error ${i + 1} does not quote the packet as it arrived`);
    });
  }
}

// ------------------------------------------------------------------------------- the tests

const BUILT = POOL.map((p) => p.frame.build());

/** A fresh engine that has seen every pool frame once, in order (conversations set up). */
function warmEngine(): Conversation {
  const c = engineFrom(CONFIG, { connCapacity: 1 << 14 });
  POOL.forEach((p, i) => feed(c, p.port, BUILT[i]!));
  return c;
}

test('the pool: every valid frame, in order, goes where it should (dropped only when answered with an ICMP error)', () => {
  const c = engineFrom(CONFIG, { connCapacity: 1024 });
  POOL.forEach((p, i) => {
    const o = feed(c, p.port, BUILT[i]!);
    const where = [...o.sent.map((s) => c.engine.stack.ports[s.port]!.name), ...o.kernel.map(() => 'kernel')];
    assert.deepEqual({ drops: o.reasons, to: where }, { drops: p.drop ? [p.drop] : [], to: p.to === 'nowhere' ? [] : [p.to] }, p.desc);
    checkOutcome(BUILT[i]!, o);
  });
});

test(`fuzz: ${RUNS} damaged frames never throw, are accounted for, and never launder a checksum (seed ${SEED})`, (t) => {
  t.diagnostic(`fast-check seed ${SEED}, ${RUNS} runs`);
  const c = warmEngine();
  const seen = { dropped: 0, sent: 0, kernel: 0, queued: 0, learnt: 0 };
  fc.assert(
    fc.property(fc.nat(POOL.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (k, ms, fix) => {
      const f = fix ? fixChecksums(mutate(BUILT[k]!, ms)) : mutate(BUILT[k]!, ms);
      const o = feed(c, POOL[k]!.port, f);
      checkOutcome(f, o);
      if (o.drops > 0) seen.dropped++;
      else if (o.sent.length > 0) seen.sent++;
      else if (o.kernel.length > 0) seen.kernel++;
      else if (o.queued > 0) seen.queued++;
      else seen.learnt++;
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
  const reasons = [...c.engine.stack.counters.drops].flatMap((n, r) => (n > 0 ? [`${DROP_REASON_NAMES[r]} ${n}`] : []));
  t.diagnostic(`outcomes: ${JSON.stringify(seen)}; drops by reason: ${reasons.join(', ')}`);
  // Most damage must be caught, and some damaged frames must still get through: else the mix is off.
  assert.ok(seen.dropped > RUNS / 4 && seen.sent > RUNS / 50 && seen.kernel > RUNS / 50, JSON.stringify(seen));

  // Afterwards the engine still forwards valid frames correctly.
  const client = eth({ src: MAC.client, dst: MAC.wan });
  const drSyn = client.ipv4({ src: CIP, dst: VIP.dr, flags: 'DF' }).tcp({ sport: 44999, dport: 80, flags: 'S', seq: 1 });
  const want = dissect(drSyn.build());
  expectOut(c, drSyn, [{ ...want, eth: { ...want.eth, src: MAC.lan, dst: MAC.rs } }]);
  expectOut(c, client.ipv4({ src: CIP, dst: VIP.fnat }).icmp({ type: 'echo-request', id: 9, seq: 3, data: 'still there?' }), [
    { eth: { src: MAC.wan, dst: MAC.client }, ipv4: { src: VIP.fnat, dst: CIP }, icmp: { type: 0, code: 0, id: 9, seq: 3, data: 'still there?' } },
  ]);
  expectOut(c, client.ipv4({ src: CIP, dst: VIP.fnat }).tcp({ sport: 44998, dport: 80, flags: 'S', seq: 1 }), [
    { eth: { src: MAC.lan, dst: MAC.rs }, ipv4: { src: LIP, dst: '192.168.100.2' }, tcp: { dport: 80, flags: 'S', ack: 0 } },
  ]);
});

/** Feeds a valid frame from the client: exactly these frames come out (fields as matchFields reads them). */
function expectOut(c: Conversation, b: PacketBuilder, want: Record<string, unknown>[]): void {
  const f = b.build();
  const o = feed(c, 'dpdk1', f);
  checkOutcome(f, o);
  assert.equal(o.drops, 0);
  assert.equal(o.sent.length, want.length);
  o.sent.forEach((s, i) => assert.deepEqual(matchFields(dissect(s.data), want[i]), []));
}
