// The PACKET_FANOUT_CBPF program that steers each packet to the worker owning its connection, so a
// connection's two directions always meet in one worker's table. Built once per config change.

import { workerPortMask } from '../ipvs/laddr.js';
import { Cbpf, X } from './cbpf.js';

export interface FanoutSteering {
  /** Workers sharing the interface (the fanout group's members when all are alive). */
  workers: number;
  /** Service addresses, IPv4 as 32-bit numbers: packets to them are steered by their source. */
  vips4?: readonly number[];
  /** IPv6 VIPs as four 32-bit words each (network order, word 0 first). */
  vips6?: readonly (readonly number[])[];
  /** FullNAT local addresses (LIPs), IPv4 as 32-bit numbers. */
  lips4: readonly number[];
  /** IPv6 LIPs as four 32-bit words each. */
  lips6: readonly (readonly number[])[];
  /**
   * members[slot] = the worker whose socket holds fanout slot `slot`. The kernel numbers members by
   * join order and fills a leaver's hole with the last member, so after a worker restarted the
   * slots are a permutation of the workers (afpacket-host.ts tracks it). Default: identity.
   */
  members?: readonly number[];
}

/** Enough for any real LIP list while keeping every conditional jump within classic BPF's 255. */
export const FANOUT_MAX_LIPS = 64;
/** Likewise for VIPs (each family); with both lists full the program stays under BPF_MAXINSNS. */
export const FANOUT_MAX_VIPS = 64;

const HASH_K1 = 0x9e3779b1;
const HASH_K2 = 0x85ebca6b;

type Words6 = readonly (readonly number[])[];

/**
 * The program, in the kernel's view: it runs on the packet from its NETWORK header (a fanout
 * program, unlike a socket filter, never sees the Ethernet header), and the kernel sends the
 * packet to member `return value % members`. Every rule yields a worker index; the members table
 * then turns it into the slot that worker's socket holds.
 *
 *   TCP/UDP to a LIP        -> dport & mask. FullNAT replies from a real server come back to the
 *                              LIP:lport the owning worker picked from its slice (laddr.ts: the
 *                              low bits of the port are the worker index).
 *   TCP/UDP to a VIP        -> hash(saddr, sport): the client side of the connection.
 *   other TCP/UDP           -> hash(daddr, dport): a NAT reply (real server -> client, neither
 *                              VIP nor LIP) meets its request by the same client side. DR and
 *                              tunnel see one direction only; any hash of it would do.
 *   ICMP errors             -> by the packet they quote (a packet tsvs sent; inner IPv4 header
 *                              taken as 20 bytes, which tsvs's packets are): sent to a LIP, the
 *                              quoted source port & mask; sent to a VIP (it quotes VIP -> client),
 *                              hash(quoted daddr, dport); else (it quotes client -> real server)
 *                              hash(quoted saddr, sport). So a frag-needed reaches its worker.
 *   fragments, other IP     -> the same client side, by address alone (the engine drops fragments
 *                              to VIPs and LIPs, as DPVS does).
 *   not IP (ARP)            -> 0 (the driver gives ARP and ND to every worker on another socket).
 *
 * IPv6 ports are read right after the fixed header: packets with extension headers hash on
 * addresses only. NAT64 (IPv6 VIP, IPv4 LIP) needs nothing more: each family has its own rule.
 */
export function fanoutProgram(s: FanoutSteering): Uint8Array {
  if (!Number.isInteger(s.workers) || s.workers < 1 || s.workers > 65536) throw new Error('fanout: workers must be 1..65536');
  const vips4 = s.vips4 ?? [], vips6 = s.vips6 ?? [];
  if (s.lips4.length > FANOUT_MAX_LIPS || s.lips6.length > FANOUT_MAX_LIPS) {
    throw new Error(`fanout: at most ${FANOUT_MAX_LIPS} LIPs of each family`);
  }
  if (vips4.length > FANOUT_MAX_VIPS || vips6.length > FANOUT_MAX_VIPS) {
    throw new Error(`fanout: at most ${FANOUT_MAX_VIPS} VIPs of each family`);
  }
  for (const w of [...s.lips6, ...vips6]) if (w.length !== 4) throw new Error('fanout: an IPv6 address is four 32-bit words');
  const members = s.members ?? [];
  if (members.length > s.workers || members.some((w) => !Number.isInteger(w) || w < 0 || w >= s.workers)) {
    throw new Error(`fanout: members must be at most ${s.workers} worker indexes`);
  }
  const mask = workerPortMask(s.workers);
  const p = new Cbpf();
  // Far targets go through `ja` (32-bit reach): a conditional jump reaches 255 instructions.
  p.ldb(0).rsh(4).jeq(4, 'v4').jeq(6, null, 'notip').ja('v6').label('notip').ret(0);
  ipv4(p, vips4, s.lips4, mask);
  ipv6(p, vips6, s.lips6, mask);
  // hash(A = address, M[0] = port), shared by every hashed path.
  p.label('hash').mul(HASH_K1).ldxMem(0).xor(X).mul(HASH_K2).tax().rsh(16).xor(X);
  // A = a worker index (or a hash): reduce it, then map the worker to its slot.
  p.label('out');
  if (s.workers === 1) return p.ret(0).assemble();
  p.mod(s.workers);
  members.forEach((w, slot) => {
    if (w !== slot) p.jeq(w, null, `slot${slot}`).ret(slot).label(`slot${slot}`);
  });
  return p.retA().assemble();
}

// IPv4: X = header length throughout; M[0] = the port that goes with the hashed address.
function ipv4(p: Cbpf, vips: readonly number[], lips: readonly number[], mask: number): void {
  p.label('v4').ldxMsh(0).ldh(6).jset(0x3fff, null, 'v4whole').ja('v4other'); // MF or offset: a fragment
  p.label('v4whole').ldb(9).jeq(6, 'v4l4').jeq(17, 'v4l4').jeq(1, null, 'v4noports').ja('v4icmp');
  p.label('v4noports').ja('v4other');
  p.label('v4l4').ld(16);
  for (const a of lips) p.jeq(a, 'v4lip');
  for (const a of vips) p.jeq(a, 'v4vip');
  p.ldhInd(2).st(0).ld(16).ja('hash'); // a NAT reply: the client is the destination
  p.label('v4lip').ldhInd(2).and(mask).ja('out');
  p.label('v4vip').ldhInd(0).st(0).ld(12).ja('hash');
  // An ICMP error quotes the packet that caused it: X + 8 is the quoted IPv4 header.
  p.label('v4icmp').ldbInd(0).jeq(3, 'v4err').jeq(11, 'v4err').jeq(12, 'v4err', 'v4notErr');
  p.label('v4notErr').ja('v4other');
  p.label('v4err').ld(16);
  for (const a of lips) p.jeq(a, 'v4errlip');
  for (const a of vips) p.jeq(a, 'v4errvip');
  // It quotes client -> real server (NAT, DR): the quoted source is the client.
  p.ldImm(0).st(0).ldbInd(17).jeq(6, 'v4errs').jeq(17, 'v4errs', 'v4errsa');
  p.label('v4errs').ldhInd(28).st(0);
  p.label('v4errsa').ldInd(20).ja('hash');
  // It quotes VIP -> client: the quoted destination is the client.
  p.label('v4errvip').ldImm(0).st(0).ldbInd(17).jeq(6, 'v4errd').jeq(17, 'v4errd', 'v4errda');
  p.label('v4errd').ldhInd(30).st(0);
  p.label('v4errda').ldInd(24).ja('hash');
  p.label('v4errlip').ldhInd(28).and(mask).ja('out'); // it quotes LIP:lport -> RS
  // No ports: the client side's address alone.
  p.label('v4other').ldImm(0).st(0).ld(16);
  for (const a of vips) p.jeq(a, 'v4othervip');
  p.ja('hash');
  p.label('v4othervip').ld(12).ja('hash');
}

function ipv6(p: Cbpf, vips: Words6, lips: Words6, mask: number): void {
  p.label('v6').ldb(6).jeq(6, 'v6l4').jeq(17, 'v6l4').jeq(58, null, 'v6nol4').ja('v6icmp');
  p.label('v6nol4').ja('v6other');
  p.label('v6l4');
  chain6(p, 24, lips, 'v6lip', 'l4lip');
  chain6(p, 24, vips, 'v6vip', 'l4vip');
  p.ldh(42).st(0);
  xorWords(p, 24);
  p.ja('hash');
  p.label('v6lip').ldh(42).and(mask).ja('out');
  p.label('v6vip').ldh(40).st(0);
  xorWords(p, 8);
  p.ja('hash');
  // ICMPv6 errors (types 1-4) quote the packet from offset 48: fixed header 40 + ICMPv6 8.
  p.label('v6icmp').ldb(40).jgt(4, 'v6notErr').jeq(0, 'v6notErr', 'v6err');
  p.label('v6notErr').ja('v6other');
  p.label('v6err');
  chain6(p, 24, lips, 'v6errlip', 'errlip');
  chain6(p, 24, vips, 'v6errvip', 'errvip');
  p.ldImm(0).st(0).ldb(54).jeq(6, 'v6errs').jeq(17, 'v6errs', 'v6errsa');
  p.label('v6errs').ldh(88).st(0);
  p.label('v6errsa');
  xorWords(p, 56);
  p.ja('hash');
  p.label('v6errvip').ldImm(0).st(0).ldb(54).jeq(6, 'v6errd').jeq(17, 'v6errd', 'v6errda');
  p.label('v6errd').ldh(90).st(0);
  p.label('v6errda');
  xorWords(p, 72);
  p.ja('hash');
  p.label('v6errlip').ldh(88).and(mask).ja('out');
  p.label('v6other').ldImm(0).st(0);
  chain6(p, 24, vips, 'v6othervip', 'othervip');
  xorWords(p, 24);
  p.ja('hash');
  p.label('v6othervip');
  xorWords(p, 8);
  p.ja('hash');
}

// The IPv6 address at `off` against each address, a word at a time; a full match jumps to `hit`.
function chain6(p: Cbpf, off: number, addrs: Words6, hit: string, tag: string): void {
  addrs.forEach((w, i) => {
    const next = `c6-${tag}-${i}`;
    p.ld(off).jeq(w[0]!, null, next).ld(off + 4).jeq(w[1]!, null, next).ld(off + 8).jeq(w[2]!, null, next);
    p.ld(off + 12).jeq(w[3]!, null, next).ja(hit).label(next);
  });
}

// A = xor of the four 32-bit words of the IPv6 address at `off`.
function xorWords(p: Cbpf, off: number): void {
  p.ld(off);
  for (let i = 1; i < 4; i++) p.tax().ld(off + 4 * i).xor(X);
}
