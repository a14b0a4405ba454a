// The FullNAT deployments the fixtures run (IPv4 = scenario S1, IPv6, NAT64), frames from the
// client and the real servers, the shapes their translations must have, and engine look-ups.

import assert from 'node:assert/strict';
import { type PacketBuilder, eth } from '../../support/builder.js';
import { type Conversation, type Ctx, type OutFrame, type Step, engineFrom } from '../../support/fixture.js';
import type { EngineOptions, Engine } from '../../../src/worker/engine.js';
import { type IpAddr, ipEquals, parseIp } from '../../../src/packet/inet.js';
import { LPORT_MAX, LPORT_MIN, LADDR_BUCKETS, type LocalAddr } from '../../../src/ipvs/laddr.js';
import { TCP_STATE_NAMES, UDP_STATE_NAMES } from '../../../src/ipvs/proto.js';
import { ST_CONNS, ST_FIELDS, ST_INBYTES, ST_INPKTS, ST_OUTBYTES, ST_OUTPKTS } from '../../../src/ipvs/stats.js';

export const MAC = {
  dpdk0: '02:00:00:00:00:a0',
  dpdk1: '02:00:00:00:00:a1',
  clients: ['02:00:00:00:30:48', '02:00:00:00:30:49'],
  rs: ['02:00:00:00:64:02', '02:00:00:00:64:03'],
} as const;

/** TTLs the senders use; IPVS forwarding leaves them alone (DPVS: xmit_ttl off). */
export const CLIENT_TTL = 57;
export const RS_TTL = 63;
/** IPv4 identification of the senders' packets; kept on IPv4 -> IPv4, 0 when NAT64 builds the header. */
export const CLIENT_IP_ID = 0x1234;
export const RS_IP_ID = 0x4321;

/** Free local ports of a fresh LIP on a single worker: 1025..65535 in each of the 16 buckets. */
export const FULL_POOL = LADDR_BUCKETS * (LPORT_MAX - LPORT_MIN + 1);

export interface Family {
  readonly name: 'IPv4' | 'IPv6' | 'NAT64';
  /** Client side (VIP, clients) and real-server side (LIP, RS) address families. */
  readonly cv: 4 | 6;
  readonly rv: 4 | 6;
  readonly vip: string;
  readonly clients: readonly [string, string];
  readonly lips: readonly [string, string];
  readonly rips: readonly [string, string];
  readonly clientNet: string;
  readonly rsNet: string;
  /** TOA length: 8 for an IPv4 client, 20 for an IPv6 one (NAT64 included). */
  readonly toaLen: 8 | 20;
  /**
   * Whether the two real servers hash into the same bucket of local ports (laddr.ts): then they
   * draw from one ring, else each RS has its own and both start at 1025.
   */
  readonly rsShareBucket: boolean;
}

export const V4: Family = {
  name: 'IPv4', cv: 4, rv: 4, vip: '10.0.0.100', clients: ['10.0.0.48', '10.0.0.49'],
  lips: ['192.168.100.200', '192.168.100.201'], rips: ['192.168.100.2', '192.168.100.3'],
  clientNet: '10.0.0.0/16', rsNet: '192.168.100.0/24', toaLen: 8, rsShareBucket: false,
};
export const V6: Family = {
  name: 'IPv6', cv: 6, rv: 6, vip: '2001:db8::100', clients: ['2001:db8::48', '2001:db8::49'],
  lips: ['fd00::200', 'fd00::201'], rips: ['fd00::2', 'fd00::3'],
  clientNet: '2001:db8::/64', rsNet: 'fd00::/64', toaLen: 20, rsShareBucket: true,
};
export const NAT64: Family = {
  name: 'NAT64', cv: 6, rv: 4, vip: '2001:db8::100', clients: ['2001:db8::48', '2001:db8::49'],
  lips: ['192.168.100.200', '192.168.100.201'], rips: ['192.168.100.2', '192.168.100.3'],
  clientNet: '2001:db8::/64', rsNet: '192.168.100.0/24', toaLen: 20, rsShareBucket: false,
};
export const FAMILIES: readonly Family[] = [V4, V6, NAT64];

/** addr:port as tsvsadm takes it (IPv6 in brackets). */
export function hostPort(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export interface ConfigOptions {
  /** How many real servers (rips[0..n-1]); 2 by default. */
  rs?: 1 | 2;
  /** LIPs added with --add-laddr; [lips[0]] by default. */
  lips?: readonly string[];
  /** -t (TCP, port 80) or -u (UDP, port 53). */
  proto?: 'tcp' | 'udp';
}

/**
 * Ports, addresses, routes, static neighbours and one FullNAT rr service. For IPv4 the service
 * lines are scenario S1's.
 */
export function config(f: Family, o: ConfigOptions = {}): string {
  const flag = o.proto === 'udp' ? '-u' : '-t';
  const port = o.proto === 'udp' ? 53 : 80;
  const svc = `${flag} ${hostPort(f.vip, port)}`;
  const rips = f.rips.slice(0, o.rs ?? 2);
  const lines = [
    `tsip link add dpdk0 lladdr ${MAC.dpdk0}`,
    `tsip link add dpdk1 lladdr ${MAC.dpdk1}`,
    `tsip addr add ${f.vip}/${f.cv === 4 ? 32 : 128} dev dpdk1`,
    `tsip route add ${f.clientNet} dev dpdk1`,
    `tsip route add ${f.rsNet} dev dpdk0`,
    ...f.clients.map((c, i) => `tsip neigh add ${c} lladdr ${MAC.clients[i]} dev dpdk1`),
    ...f.rips.map((r, i) => `tsip neigh add ${r} lladdr ${MAC.rs[i]} dev dpdk0`),
    `tsvsadm -A ${svc} -s rr`,
    ...rips.map((r) => `tsvsadm -a ${svc} -r ${f.name === 'IPv4' && port === 80 ? r : hostPort(r, port)} -b`),
    ...(o.lips ?? [f.lips[0]]).map((l) => `tsvsadm --add-laddr -z ${l} ${svc} -F dpdk0`),
  ];
  return lines.join('\n') + '\n';
}

// ------------------------------------------------------------------ frames in

function ipLayer(b: PacketBuilder, v: 4 | 6, src: string, dst: string, ttl: number, id: number): PacketBuilder {
  return v === 4 ? b.ipv4({ src, dst, ttl, id, flags: 'DF' }) : b.ipv6({ src, dst, hlim: ttl });
}

/** From client `c` (index into f.clients) to the VIP, up to the IP layer. */
export function fromClient(f: Family, c: 0 | 1 = 0): PacketBuilder {
  return ipLayer(eth({ src: MAC.clients[c], dst: MAC.dpdk1 }), f.cv, f.clients[c], f.vip, CLIENT_TTL, CLIENT_IP_ID);
}

/** From real server `r` to a LIP (lips[0] by default), up to the IP layer. */
export function fromRs(f: Family, r: 0 | 1 = 0, lip = f.lips[0]): PacketBuilder {
  return ipLayer(eth({ src: MAC.rs[r], dst: MAC.dpdk0 }), f.rv, f.rips[r], lip, RS_TTL, RS_IP_ID);
}

// ------------------------------------------------------------------ frames out

function ipExpect(v: 4 | 6, src: unknown, dst: string, proto: number, l4len: number, ttl: number, id: number): OutFrame['expect'] {
  return v === 4
    ? { ipv4: { src, dst, proto, ttl, id, flags: 'DF', ihl: 5, options: '', totalLength: 20 + l4len }, ipv6: undefined }
    : { ipv6: { src, dst, nextHeader: proto, hlim: ttl, tc: 0, flowLabel: 0, ext: [], payloadLength: l4len }, ipv4: undefined };
}

/** L4 part of an expectation: `{ tcp: {...} }` or `{ udp: {...} }`, and the L4 length in bytes. */
export interface L4Expect { l4: OutFrame['expect']; len: number }

/** A translated client packet out of dpdk0 to real server `r`, from the LIP (or a where() predicate). */
export function toRs(f: Family, r: 0 | 1, e: L4Expect, lip: unknown = f.lips[0]): OutFrame {
  // NAT64 writes a new IPv4 header: identification 0, DF set.
  const id = f.name === 'NAT64' ? 0 : CLIENT_IP_ID;
  return {
    port: 'dpdk0',
    expect: { eth: { src: MAC.dpdk0, dst: MAC.rs[r], type: f.rv === 4 ? 0x0800 : 0x86dd }, ...ipExpect(f.rv, lip, f.rips[r], protoOf(e), e.len, CLIENT_TTL, id), ...e.l4 },
  };
}

/** A translated real-server packet out of dpdk1 to client `c`, from the VIP. */
export function toClient(f: Family, c: 0 | 1, e: L4Expect): OutFrame {
  return {
    port: 'dpdk1',
    expect: { eth: { src: MAC.dpdk1, dst: MAC.clients[c], type: f.cv === 4 ? 0x0800 : 0x86dd }, ...ipExpect(f.cv, f.vip, f.clients[c], protoOf(e), e.len, RS_TTL, RS_IP_ID), ...e.l4 },
  };
}

function protoOf(e: L4Expect): number {
  return 'udp' in e.l4 ? 17 : 6;
}

// ------------------------------------------------------------------ running

/**
 * A predicate as an expectation leaf. The runner calls a leaf function with the context first,
 * so the predicate is what that call returns.
 */
export const where = <T>(p: (v: T) => boolean) => (): ((v: T) => boolean) => p;

/** A step's check on the engine after it ran. */
export type Check = NonNullable<Step['check']>;

/** A fixture step whose input may depend on saved values (the sequence delta). */
export type FnatStep = Omit<Step, 'in'> & {
  in?: { port: string; frame: PacketBuilder | ((ctx: Ctx) => PacketBuilder) };
};

/** Runs the steps in order, building each input frame with the context saved so far. */
export function run(conv: Conversation, steps: readonly FnatStep[]): Conversation {
  for (const s of steps) {
    const frame = s.in?.frame;
    conv.step({ ...s, in: s.in && { port: s.in.port, frame: typeof frame === 'function' ? frame(conv.ctx) : frame! } });
  }
  return conv;
}

/** A fresh engine for the family's config, then the steps. */
export function runFnat(cfg: string, steps: readonly FnatStep[], opts?: EngineOptions): Conversation {
  return run(engineFrom(cfg, opts), steps);
}

// ------------------------------------------------------------------ engine look-ups

function addr(s: string): IpAddr {
  const a = parseIp(s);
  assert.ok(a, `bad address ${s}`);
  return a;
}

/** The connection of client c's flow to VIP:vport: its state name and timeout (s), or null. */
export function connOf(e: Engine, f: Family, proto: 'tcp' | 'udp', cport: number, c: 0 | 1 = 0): { state: string; timeout: number } | null {
  const ca = addr(f.clients[c]);
  const va = addr(f.vip);
  const p = proto === 'tcp' ? 6 : 17;
  const ent = e.conns.lookup(p, ca.w0, ca.w1, ca.w2, ca.w3, cport, va.w0, va.w1, va.w2, va.w3, proto === 'tcp' ? 80 : 53, false);
  if (ent < 0) return null;
  const i = ent >> 1;
  const names: readonly string[] = proto === 'tcp' ? TCP_STATE_NAMES : UDP_STATE_NAMES;
  return { state: names[e.conns.state(i)]!, timeout: e.conns.timeout(i) };
}

export function laddrOf(e: Engine, lip: string): LocalAddr {
  const la = e.ipvs.laddrs.get(addr(lip));
  assert.ok(la, `no local address ${lip}`);
  return la;
}

export interface DestCounters {
  activeConns: number; inactConns: number;
  conns: number; inpkts: number; outpkts: number; inbytes: number; outbytes: number;
}

function statsAt(a: Float64Array, id: number): Omit<DestCounters, 'activeConns' | 'inactConns'> {
  const b = id * ST_FIELDS;
  return { conns: a[b + ST_CONNS]!, inpkts: a[b + ST_INPKTS]!, outpkts: a[b + ST_OUTPKTS]!, inbytes: a[b + ST_INBYTES]!, outbytes: a[b + ST_OUTBYTES]! };
}

/** Real server r's connection counts and traffic counters on the family's TCP service. */
export function destCounters(e: Engine, f: Family, r: 0 | 1): DestCounters {
  const svc = e.ipvs.services.find((s) => s !== null && s.port === 80)!;
  const d = svc.dests.find((x) => ipEquals(x.addr, addr(f.rips[r])))!;
  return { activeConns: d.activeConns, inactConns: d.inactConns, ...statsAt(e.ipvs.stats.dest, d.id) };
}

/** The TCP service's traffic counters. */
export function serviceCounters(e: Engine): Omit<DestCounters, 'activeConns' | 'inactConns'> {
  const svc = e.ipvs.services.find((s) => s !== null && s.port === 80)!;
  return statsAt(e.ipvs.stats.svc, svc.id);
}
