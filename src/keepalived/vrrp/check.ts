// Whether a received advert is acceptable to one instance: keepalived 2.2.7's vrrp_check_packet,
// rule for rule and in its order, with its log text. The VRID was matched before (not ours: not here).

import { type IpAddr, formatIp, ipEquals } from '../../packet/inet.js';
import {
  type Advert, VRRP_AUTH_AH, VRRP_AUTH_LEN, VRRP_AUTH_NONE, VRRP_AUTH_PASS, VRRP_HDR_LEN, VRRP_TTL, VRRP_TYPE_ADVERT,
  advertChecksumOk,
} from './advert.js';
import { type VrrpIp, isMulticast } from './frame.js';

/** What one instance expects of its peers' adverts. */
export interface CheckConfig {
  readonly name: string;
  readonly version: 2 | 3;
  readonly vrid: number;
  /** v2 PASS password (at most 8 bytes), or undefined for no authentication. */
  readonly authPass?: string;
  /** advert_int in milliseconds (v2 compares whole seconds). */
  readonly advertIntMs: number;
  readonly vips: readonly IpAddr[];
  readonly unicast: boolean;
}

/**
 * ok: act on it. ko: invalid, logged (keepalived's VRRP_PACKET_KO). drop: not for this instance to
 * act on, logged (VRRP_PACKET_DROP: v2's advert_int mismatch, kept apart so two routers with different
 * intervals do not both fight over the VRID). Either way the advert is ignored.
 */
export type CheckResult = { readonly verdict: 'ok' } | { readonly verdict: 'ko' | 'drop'; readonly message: string };

const OK: CheckResult = { verdict: 'ok' };

function authTypeOf(c: CheckConfig): number {
  return c.authPass !== undefined ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
}

function passBytes(pass: string): Uint8Array {
  const b = new Uint8Array(VRRP_AUTH_LEN);
  b.set(Buffer.from(pass).subarray(0, VRRP_AUTH_LEN));
  return b;
}

export function checkAdvert(c: CheckConfig, ip: VrrpIp, a: Advert, buf: Uint8Array): CheckResult {
  const n = c.name;
  const ko = (message: string): CheckResult => ({ verdict: 'ko', message: `(${n}) ${message}` });
  // keepalived's length: IPv4 counts the IP header; the auth bytes count for any v2 over IPv4.
  const expected = ip.ipHdrLen + VRRP_HDR_LEN + (ip.af === 4 ? (a.version === 2 ? VRRP_AUTH_LEN : 0) + a.count * 4 : a.count * 16);
  const got = ip.ipHdrLen + ip.len;
  if (got !== expected) return ko(`vrrp packet too ${got > expected ? 'long' : 'short'}, length ${got} and expect ${expected}`);
  // TTL is only checked for multicast instances (a unicast peer may be routed).
  if (!c.unicast && ip.ttl !== VRRP_TTL) return ko(`invalid TTL/HL. Received ${ip.ttl} and expect ${VRRP_TTL}`);
  if (a.version !== c.version) return ko(`wrong version. Received ${a.version} and expect ${c.version}`);
  if (c.version === 2) {
    if (a.authType !== VRRP_AUTH_NONE && a.authType !== VRRP_AUTH_PASS && a.authType !== VRRP_AUTH_AH) return ko(`Invalid auth type: ${a.authType}`);
    if (a.authType !== authTypeOf(c)) return ko(`received a ${a.authType} auth, expecting ${authTypeOf(c)}!`);
    if (c.authPass !== undefined) {
      const want = passBytes(c.authPass);
      const got8 = a.authData ?? new Uint8Array(0);
      let same = got8.length === VRRP_AUTH_LEN;
      for (let i = 0; same && i < VRRP_AUTH_LEN; i++) same = got8[i] === want[i];
      if (!same) return ko('received an invalid passwd!');
    }
    const mine = Math.floor(c.advertIntMs / 1000);
    if (c.advertIntMs !== a.advertInt * 1000) {
      return { verdict: 'drop', message: `(${n}) advertisement interval mismatch mine=${mine} sec rcv'd=${a.advertInt} sec` };
    }
  }
  if (a.type !== VRRP_TYPE_ADVERT) return ko(`Invalid packet type. ${a.type} and expect ${VRRP_TYPE_ADVERT}`);
  if (a.count !== c.vips.length) return ko(`received an unexpected ip number count ${a.count}, expected ${c.vips.length}!`);
  if (ip.af === 4 && !advertChecksumOk(buf, ip.off, ip.len, c.version, { src: ip.src, dst: ip.dst })) {
    return ko(`Invalid VRRPv${c.version} checksum`);
  }
  // IPv6: keepalived leaves the checksum to the kernel (IPV6_CHECKSUM), which drops bad ones silently.
  if (ip.af === 6 && !advertChecksumOk(buf, ip.off, ip.len, 3, { src: ip.src, dst: ip.dst })) return { verdict: 'drop', message: `(${n}) Invalid VRRPv3 checksum` };
  if (isMulticast(ip.dst) === c.unicast) {
    return ko(`Expected ${c.unicast ? 'un' : 'mult'}icast packet but received ${c.unicast ? 'mult' : 'un'}icast packet`);
  }
  for (const v of c.vips) {
    if (!a.addrs.some((x) => ipEquals(x, v))) return ko(`ip address associated with VRID ${c.vrid} not present in MASTER advert: ${formatIp(v)}`);
  }
  return OK;
}
