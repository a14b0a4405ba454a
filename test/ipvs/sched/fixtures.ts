// Test fixtures for the schedulers: mutable dests, service views and packets described the way
// a reader would say them ("from 10.0.0.1:1234 to 192.168.0.1:80 over tcp at t=5s").

import { parseIp } from '../../../src/packet/inet.js';
import type { SchedDest, SchedInput, SchedServiceView } from '../../../src/ipvs/sched/types.js';

/** A dest the test can change between calls, as the core changes counters and flags. */
export class TestDest implements SchedDest {
  af: 4 | 6;
  addrW0: number;
  addrW1: number;
  addrW2: number;
  addrW3: number;
  weight = 1;
  activeConns = 0;
  inactConns = 0;
  persistConns = 0;
  overloaded = false;
  available = true;

  constructor(
    readonly id: number,
    /** A short label for messages ("A", "B", ...). */
    readonly label: string,
    addr: string,
    readonly port: number,
  ) {
    const a = parseIp(addr);
    if (a === null) throw new Error(`bad test address ${addr}`);
    this.af = a.af;
    this.addrW0 = a.w0;
    this.addrW1 = a.w1;
    this.addrW2 = a.w2;
    this.addrW3 = a.w3;
  }

  /** Sets load and state fields in one call: dest(...).set({ weight: 3, activeConns: 2 }). */
  set(fields: Partial<Pick<TestDest, 'weight' | 'activeConns' | 'inactConns' | 'overloaded' | 'available'>>): this {
    Object.assign(this, fields);
    return this;
  }
}

/** Dests A, B, C, ... at 10.1.0.1, 10.1.0.2, ... port 80 with the given weights. */
export function dests(...weights: number[]): TestDest[] {
  return weights.map((w, i) => new TestDest(i + 1, String.fromCharCode(65 + i), `10.1.0.${i + 1}`, 80).set({ weight: w }));
}

export interface TestService extends SchedServiceView {
  dests: TestDest[];
  flags: Set<string>;
}

export function service(ds: TestDest[], ...flags: string[]): TestService {
  return { dests: ds, flags: new Set(flags) };
}

export interface PacketSpec {
  src?: string;
  sport?: number;
  dst?: string;
  dport?: number;
  proto?: 'tcp' | 'udp' | 'sctp' | 'icmp';
  /** engine clock, ms */
  at?: number;
}

const PROTO = { tcp: 6, udp: 17, sctp: 132, icmp: 1 } as const;

/** A SchedInput: packet({ src: '10.0.0.1', sport: 1234, dst: '192.168.0.1', dport: 80 }). */
export function packet(spec: PacketSpec = {}): SchedInput {
  const src = parseIp(spec.src ?? '10.0.0.1');
  const dst = parseIp(spec.dst ?? '192.168.0.1');
  if (src === null || dst === null) throw new Error('bad test address');
  return {
    af: src.af,
    proto: PROTO[spec.proto ?? 'tcp'],
    srcW0: src.w0,
    srcW1: src.w1,
    srcW2: src.w2,
    srcW3: src.w3,
    srcPort: spec.sport ?? 40000,
    dstW0: dst.w0,
    dstW1: dst.w1,
    dstW2: dst.w2,
    dstW3: dst.w3,
    dstPort: spec.dport ?? 80,
    nowMs: spec.at ?? 0,
  };
}

/** The i-th of many distinct client addresses (10.x.y.z), for spreading tests. */
export function client(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

/** Labels of what a run of schedule() calls returned ("-" for null). */
export function labels(results: (SchedDest | null)[]): string {
  return results.map((d) => (d === null ? '-' : (d as TestDest).label)).join(' ');
}

/** The IPv4 address text as the u32 the kernel hashes. */
export function ip4Word(addr: string): number {
  const a = parseIp(addr);
  if (a === null || a.af !== 4) throw new Error(`bad test address ${addr}`);
  return a.w0;
}
