// The PACKET_FANOUT_CBPF program that steers each packet to the worker owning its connection, so a
// connection's two directions always meet in one worker's table. Built once per config change.

import { workerPortMask } from '../ipvs/laddr.js';
import { Cbpf, X } from './cbpf.js';

export interface FanoutSteering {
  /** Members of the fanout group; member i must be worker i (members are numbered by join order). */
  workers: number;
  /** FullNAT local addresses (LIPs), IPv4 as 32-bit numbers. */
  lips4: readonly number[];
  /** IPv6 LIPs as four 32-bit words each (network order, word 0 first). */
  lips6: readonly (readonly number[])[];
}

/** Enough for any real LIP list while keeping every conditional jump within classic BPF's 255. */
export const FANOUT_MAX_LIPS = 64;

const HASH_K1 = 0x9e3779b1;
const HASH_K2 = 0x85ebca6b;

/**
 * The program, in the kernel's view: it runs on the packet from its NETWORK header (a fanout
 * program, unlike a socket filter, never sees the Ethernet header), and the kernel sends the
 * packet to member `return value % members`.
 *
 *   TCP/UDP to a LIP        -> dport & mask. FullNAT replies from a real server come back to the
 *                              LIP:lport the owning worker picked from its slice (laddr.ts: the
 *                              low bits of the port are the worker index).
 *   other TCP/UDP           -> a symmetric hash of (saddr ^ daddr, sport ^ dport): both
 *                              directions of a flow hash alike, whichever way the packet goes.
 *   ICMP errors             -> the same rule applied to the packet they quote (inner IPv4 header
 *                              taken as 20 bytes: the packets we send carry no IP options), so a
 *                              frag-needed about a connection reaches its worker.
 *   fragments, other IP     -> a symmetric hash of the addresses alone (the engine drops
 *                              fragments to VIPs and LIPs, as DPVS does).
 *   not IP (ARP)            -> member 0.
 *
 * IPv6 ports are read right after the fixed header: packets with extension headers hash on
 * addresses only. NAT (not FullNAT) needs the client side of the tuple instead; not done here.
 */
export function fanoutProgram(s: FanoutSteering): Uint8Array {
  if (!Number.isInteger(s.workers) || s.workers < 1 || s.workers > 65536) throw new Error('fanout: workers must be 1..65536');
  if (s.lips4.length > FANOUT_MAX_LIPS || s.lips6.length > FANOUT_MAX_LIPS) {
    throw new Error(`fanout: at most ${FANOUT_MAX_LIPS} LIPs of each family`);
  }
  const mask = workerPortMask(s.workers);
  const p = new Cbpf();
  // Far targets go through `ja` (32-bit reach): a conditional jump reaches 255 instructions.
  p.ldb(0).rsh(4).jeq(4, 'v4').jeq(6, null, 'notip').ja('v6').label('notip').ret(0);
  ipv4(p, s.lips4, mask);
  ipv6(p, s.lips6, mask);
  // The mix shared by every hashed path: A = address xor, M[0] and M[2] the two ports.
  p.label('mix').st(1).ldMem(0).ldxMem(2).xor(X).st(0);
  p.ldMem(1).mul(HASH_K1).ldxMem(0).xor(X).mul(HASH_K2).tax().rsh(16).xor(X).retA();
  return p.assemble();
}

// M[0], M[2] = the ports; then the addresses' xor into A and on to 'mix'.
function ipv4(p: Cbpf, lips: readonly number[], mask: number): void {
  p.label('v4').ldxMsh(0).ldh(6).jset(0x3fff, 'v4noports'); // MF or offset: a fragment
  p.ldb(9).jeq(6, 'v4l4').jeq(17, 'v4l4').jeq(1, 'v4icmp', 'v4noports');
  p.label('v4l4').ld(16);
  for (const lip of lips) p.jeq(lip, 'v4lip');
  p.ldhInd(0).st(0).ldhInd(2).st(2).ja('v4addrs');
  p.label('v4lip').ldhInd(2).and(mask).retA();
  // An ICMP error quotes the packet that caused it: X + 8 is the quoted IPv4 header.
  p.label('v4icmp').ldbInd(0).jeq(3, 'v4err').jeq(11, 'v4err').jeq(12, 'v4err', 'v4noports');
  p.label('v4err').ld(16);
  for (const lip of lips) p.jeq(lip, 'v4errlip');
  p.ldbInd(17).jeq(6, 'v4errl4').jeq(17, 'v4errl4');
  p.ldImm(0).st(0).st(2).ja('v4erraddrs');
  p.label('v4errl4').ldhInd(28).st(0).ldhInd(30).st(2);
  p.label('v4erraddrs').ldInd(20).st(1).ldInd(24).ldxMem(1).xor(X).ja('mix');
  p.label('v4errlip').ldhInd(28).and(mask).retA(); // the quoted packet is ours: LIP:lport -> RS
  p.label('v4noports').ldImm(0).st(0).st(2);
  p.label('v4addrs').ld(12).tax().ld(16).xor(X).ja('mix');
}

function ipv6(p: Cbpf, lips: readonly (readonly number[])[], mask: number): void {
  p.label('v6').ldb(6).jeq(6, 'v6l4').jeq(17, 'v6l4').jeq(58, null, 'v6other').ja('v6icmp');
  p.label('v6other').ja('v6noports');
  p.label('v6l4');
  lip6Chain(p, lips, 'v6lip', 'l4');
  p.ldh(40).st(0).ldh(42).st(2).ja('v6addrs');
  p.label('v6lip').ldh(42).and(mask).retA();
  // ICMPv6 errors (types 1-4) quote the packet from offset 48: fixed header 40 + ICMPv6 8.
  p.label('v6icmp').ldb(40).jgt(4, 'v6notErr').jeq(0, 'v6notErr', 'v6err');
  p.label('v6notErr').ja('v6noports');
  p.label('v6err');
  lip6Chain(p, lips, 'v6errlip', 'err');
  p.ldb(54).jeq(6, 'v6errl4').jeq(17, 'v6errl4');
  p.ldImm(0).st(0).st(2).ja('v6erraddrs');
  p.label('v6errl4').ldh(88).st(0).ldh(90).st(2);
  p.label('v6erraddrs');
  xorWords(p, [56, 60, 64, 68, 72, 76, 80, 84]);
  p.ja('mix');
  p.label('v6errlip').ldh(88).and(mask).retA();
  p.label('v6noports').ldImm(0).st(0).st(2);
  p.label('v6addrs');
  xorWords(p, [8, 12, 16, 20, 24, 28, 32, 36]);
  p.ja('mix');
}

// Destination (offset 24) against each IPv6 LIP, a word at a time; a full match jumps to `hit`.
function lip6Chain(p: Cbpf, lips: readonly (readonly number[])[], hit: string, tag: string): void {
  lips.forEach((w, i) => {
    if (w.length !== 4) throw new Error('fanout: an IPv6 LIP is four 32-bit words');
    const next = `lip6-${tag}-${i}`;
    p.ld(24).jeq(w[0]!, null, next).ld(28).jeq(w[1]!, null, next).ld(32).jeq(w[2]!, null, next);
    p.ld(36).jeq(w[3]!, null, next).ja(hit).label(next);
  });
}

// A = xor of the 32-bit words at the offsets.
function xorWords(p: Cbpf, offs: number[]): void {
  p.ld(offs[0]!);
  for (let i = 1; i < offs.length; i++) p.tax().ld(offs[i]!).xor(X);
}
