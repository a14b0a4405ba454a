// The kernel's address hashing for the table schedulers (sh, dh, lblc, lblcr, mh): hash_32(),
// the IPv6 fold, and which source port the *-port flags add. Never allocates.

import type { SchedInput } from './types.js';

/** GOLDEN_RATIO_32 from include/linux/hash.h. */
const GOLDEN_RATIO_32 = 0x61c88647;

/** hash_32(val, bits): multiply by the golden ratio and keep the top `bits` bits. */
export function hash32(val: number, bits: number): number {
  return Math.imul(val, GOLDEN_RATIO_32) >>> (32 - bits);
}

/**
 * The kernel folds an IPv6 address into 32 bits by xoring its four words (then ntohl; xor
 * commutes with the byte swap, so xoring our host-order words gives the same value).
 * IPv4 is its one word.
 */
export function foldAddr(af: 4 | 6, w0: number, w1: number, w2: number, w3: number): number {
  return af === 6 ? (w0 ^ w1 ^ w2 ^ w3) >>> 0 : w0 >>> 0;
}

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_SCTP = 132;

/**
 * ip_vs_sh_get_port()/ip_vs_mh_get_port(): the source port for TCP, UDP and SCTP (their ports
 * sit at the same offset), 0 for anything else (ICMP carries no port).
 */
export function hashPort(input: SchedInput): number {
  const p = input.proto;
  return p === IPPROTO_TCP || p === IPPROTO_UDP || p === IPPROTO_SCTP ? input.srcPort : 0;
}

/** IP_VS_SVC_F_SCHED1 (flag-1): sh-fallback / mh-fallback. `named` must be a literal. */
export function hasFallbackFlag(flags: ReadonlySet<string>, named: string): boolean {
  return flags.has('flag-1') || flags.has(named);
}

/** IP_VS_SVC_F_SCHED2 (flag-2): sh-port / mh-port. `named` must be a literal. */
export function hasPortFlag(flags: ReadonlySet<string>, named: string): boolean {
  return flags.has('flag-2') || flags.has(named);
}
