// Exact-frame fixtures: the expected output is itself a builder frame and must come out byte for
// byte (Katran's way), plus lab MACs and small probes of connection and neighbour state.

import assert from 'node:assert/strict';
import { parseIp } from '../../src/packet/inet.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/packet/proto.js';
import { TCP_STATE_NAMES, UDP_STATE_NAMES } from '../../src/ipvs/proto.js';
import { NUD_NAMES } from '../../src/netif/neigh.js';
import { ST_CONNS, ST_FIELDS, ST_INBYTES, ST_INPKTS, ST_OUTBYTES, ST_OUTPKTS } from '../../src/ipvs/stats.js';
import type { Engine } from '../../src/worker/engine.js';
import type { SentFrame } from '../../src/drivers/memory.js';
import { type PacketBuilder, eth } from './builder.js';
import { dissect } from './dissect.js';
import { type Conversation, type Ctx, type Expect, type OutFrame, type Step, engineFrom } from './fixture.js';

/** MAC addresses of the lab: tsvs's ports and the hosts around them. */
export const MAC = {
  dpdk0: 'a0:36:9f:00:00:00',
  dpdk1: 'a0:36:9f:00:00:01',
  client: '02:c1:00:00:00:01',
  router: '02:0e:00:00:00:fe',
  rs1: '02:05:00:00:00:02',
  rs2: '02:05:00:00:00:03',
  other: '02:99:00:00:00:99',
  bcast: 'ff:ff:ff:ff:ff:ff',
} as const;

/** An output that must equal a whole built frame, byte for byte. */
export interface ExactOut {
  port: string;
  kernel?: boolean;
  frame: PacketBuilder | ((ctx: Ctx) => PacketBuilder);
}

export type AnyOut = OutFrame | ExactOut;
export type ExactStep = Omit<Step, 'out'> & { out: AnyOut[] };

/** The whole dissection of a frame: a fixture expectation naming every field. */
export function exactly(b: PacketBuilder): Expect {
  return dissect(b.build()) as unknown as Expect;
}

/**
 * Runs one step whose outputs may be whole frames: the fixture checks port, checksums and every
 * dissected field (so a mismatch reads as field paths), then the bytes are compared in full.
 * Returns what came out, for later steps that quote it.
 */
export function exactStep(conv: Conversation, s: ExactStep): SentFrame[] {
  const built = s.out.map((o) => ('frame' in o ? (typeof o.frame === 'function' ? o.frame(conv.ctx) : o.frame).build() : null));
  const out: OutFrame[] = s.out.map((o, k) => {
    const b = built[k];
    if (!b) return o as OutFrame;
    return { port: o.port, kernel: o.kernel, expect: dissect(b) as unknown as Expect };
  });
  const got = conv.step({ ...s, out });
  built.forEach((b, k) => {
    if (b) assert.equal(hex(got[k]!.data), hex(b), `${s.desc}: frame ${k + 1} differs in bytes the dissection does not show`);
  });
  return got;
}

/** Runs the steps in order against one engine. */
export function runExact(conv: Conversation, steps: readonly ExactStep[]): Conversation {
  for (const s of steps) exactStep(conv, s);
  return conv;
}

/** Builds the engine from `config` and runs the steps (a fresh engine per conversation). */
export function converse(config: string, steps: readonly ExactStep[], opts?: Parameters<typeof engineFrom>[1]): Conversation {
  return runExact(engineFrom(config, opts), steps);
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** The L3 packet of a built Ethernet frame (no VLAN tag). */
export function l3(b: PacketBuilder): Uint8Array {
  return b.build().subarray(14);
}

/** An L3 packet (IPv4 or IPv6, from its version) behind a new Ethernet header. */
export function reframe(src: string, dst: string, pkt: Uint8Array): PacketBuilder {
  return eth({ src, dst, type: pkt[0]! >> 4 === 6 ? 0x86dd : 0x0800 }).raw(pkt);
}

function words(s: string): [number, number, number, number] {
  const a = parseIp(s);
  if (!a) throw new Error(`bad address ${s}`);
  return [a.w0, a.w1, a.w2, a.w3];
}

/** The connection slot for a client tuple (client -> VIP), or -1. */
export function connOf(e: Engine, proto: 'tcp' | 'udp', cip: string, cport: number, vip: string, vport: number): number {
  const p = proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
  const [c0, c1, c2, c3] = words(cip);
  const [v0, v1, v2, v3] = words(vip);
  const ent = e.conns.lookup(p, c0, c1, c2, c3, cport, v0, v1, v2, v3, vport, false);
  return ent < 0 ? -1 : ent >> 1;
}

/** DPVS's name for the state of a client's connection (`ipvsadm -lnc`), or 'gone'. */
export function stateOf(e: Engine, proto: 'tcp' | 'udp', cip: string, cport: number, vip: string, vport: number): string {
  const i = connOf(e, proto, cip, cport, vip, vport);
  if (i < 0) return 'gone';
  const s = e.conns.state(i);
  return proto === 'tcp' ? TCP_STATE_NAMES[s]! : UDP_STATE_NAMES[s]!;
}

/** A dest's `ipvsadm --stats` columns: conns, inpkts, outpkts, inbytes, outbytes. */
export function destStats(e: Engine, id: number): { conns: number; inPkts: number; outPkts: number; inBytes: number; outBytes: number } {
  const d = e.ipvs.stats.dest;
  const b = id * ST_FIELDS;
  return { conns: d[b + ST_CONNS]!, inPkts: d[b + ST_INPKTS]!, outPkts: d[b + ST_OUTPKTS]!, inBytes: d[b + ST_INBYTES]!, outBytes: d[b + ST_OUTBYTES]! };
}

/** A neighbour entry as `STATE mac queued N` (e.g. `REACHABLE 02:05:00:00:00:02 queued 0`), or 'none'. */
export function neighState(e: Engine, addr: string): string {
  const [w0, w1, w2, w3] = words(addr);
  const n = e.stack.neighs.lookupW(addr.includes(':') ? 6 : 4, w0, w1, w2, w3);
  if (!n) return 'none';
  const mac = [...n.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `${NUD_NAMES[n.state]} ${mac} queued ${n.queue.length}`;
}
