// VRRP packets against Debian keepalived 2.2.7's own bytes (captured in namespaces, stored as a
// fixture): they decode to the configured fields, our encoder produces the same bytes for the same
// configuration, and every rule of keepalived's vrrp_check_packet rejects with keepalived's text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeAdvert } from '../../src/keepalived/vrrp/advert.js';
import { type CheckConfig, checkAdvert } from '../../src/keepalived/vrrp/check.js';
import { buildAdvertFrame, multicastMac, parseVrrpFrame } from '../../src/keepalived/vrrp/frame.js';
import { buildGarp, buildUnsolicitedNa } from '../../src/keepalived/vrrp/garp.js';
import { vrrpFilter } from '../../src/keepalived/vrrp/link.js';
import { csumFold, csumPartial } from '../../src/packet/checksum.js';
import { type IpAddr, formatIp, parseIp, parseMac } from '../../src/packet/inet.js';
import { runCbpf } from '../support/cbpf-run.js';

const FX = JSON.parse(readFileSync('test/keepalived/fixtures/vrrp-keepalived-2.2.7.json', 'utf8')) as { frames: Record<string, string> };
const frame = (k: string): Uint8Array => Uint8Array.from(Buffer.from(FX.frames[k]!, 'hex'));
const ip = (s: string): IpAddr => parseIp(s)!;
const KA_MAC = parseMac('82:55:38:88:0d:c3')!;
const KA4 = ip('192.168.77.2');
const KA6 = ip('fe80::8055:38ff:fe88:dc3');
const G4 = ip('224.0.0.18');
const G6 = ip('ff02::12');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function decoded(k: string) {
  const f = frame(k);
  const l3 = parseVrrpFrame(f, 0, f.length)!;
  assert.ok(l3, `${k} parses as VRRP`);
  return { f, l3, a: decodeAdvert(f, l3.off, l3.len, l3.af)! };
}

test('keepalived v2 PASS advert decodes to its configuration', () => {
  const { l3, a } = decoded('v2Pass');
  assert.deepEqual([l3.af, formatIp(l3.src), formatIp(l3.dst), l3.ttl, l3.len], [4, '192.168.77.2', '224.0.0.18', 255, 20]);
  assert.deepEqual({ v: a.version, t: a.type, vrid: a.vrid, prio: a.priority, n: a.count, auth: a.authType, int: a.advertInt, sum: a.checksum },
    { v: 2, t: 1, vrid: 51, prio: 80, n: 1, auth: 1, int: 1, sum: 0x1271 });
  assert.deepEqual(a.addrs.map(formatIp), ['192.168.77.100']);
  assert.equal(Buffer.from(a.authData!).toString('latin1'), 'secret1\0');
  assert.equal(decoded('v2PassPrio0').a.priority, 0);
});

test('keepalived v3 IPv4 and IPv6 adverts decode (centisecond interval, pseudo-header checksum)', () => {
  const v3 = decoded('v3Ipv4');
  assert.deepEqual({ v: v3.a.version, vrid: v3.a.vrid, prio: v3.a.priority, int: v3.a.advertInt, n: v3.a.count }, { v: 3, vrid: 52, prio: 80, int: 50, n: 2 });
  assert.deepEqual(v3.a.addrs.map(formatIp), ['192.168.77.101', '192.168.77.102']);
  assert.equal(v3.a.authData, undefined);
  const v6 = decoded('v6');
  assert.deepEqual([v6.l3.af, formatIp(v6.l3.src), formatIp(v6.l3.dst), v6.l3.ttl], [6, 'fe80::8055:38ff:fe88:dc3', 'ff02::12', 255]);
  assert.deepEqual({ v: v6.a.version, vrid: v6.a.vrid, prio: v6.a.priority, int: v6.a.advertInt }, { v: 3, vrid: 53, prio: 90, int: 100 });
  assert.deepEqual(v6.a.addrs.map(formatIp), ['fd00:77::100']);
});

test('our encoder writes keepalived\'s bytes for the same configuration', () => {
  const buf = new Uint8Array(256);
  const v2 = { version: 2 as const, vrid: 51, advertInt: 1, addrs: [ip('192.168.77.100')], authPass: 'secret1' };
  let n = buildAdvertFrame(buf, KA_MAC, multicastMac(G4), KA4, G4, { ...v2, priority: 80 }, 1);
  assert.equal(hex(buf.subarray(0, n)), FX.frames.v2Pass);
  n = buildAdvertFrame(buf, KA_MAC, multicastMac(G4), KA4, G4, { ...v2, priority: 0 }, 20);
  assert.equal(hex(buf.subarray(0, n)), FX.frames.v2PassPrio0);
  n = buildAdvertFrame(buf, KA_MAC, multicastMac(G4), KA4, G4, { version: 3, vrid: 52, priority: 80, advertInt: 50, addrs: [ip('192.168.77.101'), ip('192.168.77.102')] }, 1);
  assert.equal(hex(buf.subarray(0, n)), FX.frames.v3Ipv4);
  n = buildAdvertFrame(buf, KA_MAC, multicastMac(G6), KA6, G6, { version: 3, vrid: 53, priority: 90, advertInt: 100, addrs: [ip('fd00:77::100')] }, 0);
  // The kernel gave keepalived's packet an automatic flow label (0x76a09); ours carries none.
  const ka = frame('v6');
  ka[15] = ka[15]! & 0xf0; ka[16] = 0; ka[17] = 0;
  assert.equal(hex(buf.subarray(0, n)), hex(ka));
  n = buildGarp(buf, KA_MAC, ip('192.168.77.100'));
  assert.equal(hex(buf.subarray(0, n)), FX.frames.garp);
  n = buildUnsolicitedNa(buf, KA_MAC, ip('fd00:77::100'));
  assert.equal(hex(buf.subarray(0, n)), FX.frames.unsolicitedNa);
});

test('the socket filter keeps VRRP over IPv4 and IPv6 only', () => {
  const prog = vrrpFilter();
  for (const k of ['v2Pass', 'v3Ipv4', 'v6']) assert.equal(runCbpf(prog, frame(k)), 0xffffffff, k);
  for (const k of ['garp', 'unsolicitedNa']) assert.equal(runCbpf(prog, frame(k)), 0, k);
});

const V2: CheckConfig = { name: 'VI_1', version: 2, vrid: 51, authPass: 'secret1', advertIntMs: 1000, vips: [ip('192.168.77.100')], unicast: false };

/** Checks a (possibly edited) copy of a fixture frame; `fixSum` recomputes the VRRP checksum after edits. */
function check(c: CheckConfig, k: string, edit: (f: Uint8Array, vrrp: number) => void = () => {}, fixSum = true): string {
  const f = frame(k);
  const vrrp = parseVrrpFrame(f, 0, f.length)!.off;
  edit(f, vrrp);
  const l3 = parseVrrpFrame(f, 0, f.length)!;
  if (fixSum && l3.af === 4 && c.version === 2) {
    f[vrrp + 6] = 0; f[vrrp + 7] = 0;
    const s = csumFold(csumPartial(f, vrrp, l3.len, 0));
    f[vrrp + 6] = s >> 8; f[vrrp + 7] = s & 255;
  }
  const r = checkAdvert(c, l3, decodeAdvert(f, l3.off, l3.len, l3.af)!, f);
  return r.verdict === 'ok' ? 'ok' : `${r.verdict}: ${r.message}`;
}

test('keepalived\'s checks, in its order and with its log text', () => {
  assert.equal(check(V2, 'v2Pass'), 'ok');
  assert.equal(check(V2, 'v2Pass', (f) => { f[22] = 64; }), 'ko: (VI_1) invalid TTL/HL. Received 64 and expect 255');
  assert.equal(check({ ...V2, unicast: true }, 'v2Pass', (f) => { f[22] = 64; }), 'ko: (VI_1) Expected unicast packet but received multicast packet');
  // keepalived sizes the packet by its version nibble before comparing versions: v3 has no auth bytes.
  assert.equal(check(V2, 'v2Pass', (f, v) => { f[v] = 0x31; }), 'ko: (VI_1) vrrp packet too long, length 40 and expect 32');
  assert.equal(check({ ...V2, authPass: 'other' }, 'v2Pass'), 'ko: (VI_1) received an invalid passwd!');
  const { authPass: _, ...noAuth } = V2;
  assert.equal(check(noAuth, 'v2Pass'), 'ko: (VI_1) received a 1 auth, expecting 0!');
  assert.equal(check(V2, 'v2Pass', (f, v) => { f[v + 4] = 7; }), 'ko: (VI_1) Invalid auth type: 7');
  assert.equal(check({ ...V2, advertIntMs: 2000 }, 'v2Pass'), 'drop: (VI_1) advertisement interval mismatch mine=2 sec rcv\'d=1 sec');
  assert.equal(check(V2, 'v2Pass', (f, v) => { f[v] = 0x22; }), 'ko: (VI_1) Invalid packet type. 2 and expect 1');
  assert.equal(check({ ...V2, vips: [ip('192.168.77.100'), ip('192.168.77.101')] }, 'v2Pass'), 'ko: (VI_1) received an unexpected ip number count 1, expected 2!');
  assert.equal(check(V2, 'v2Pass', (f, v) => { f[v + 7] ^= 1; }, false), 'ko: (VI_1) Invalid VRRPv2 checksum');
  assert.equal(check({ ...V2, vips: [ip('192.168.77.99')] }, 'v2Pass'), 'ko: (VI_1) ip address associated with VRID 51 not present in MASTER advert: 192.168.77.99');
  // A count that does not match the bytes: keepalived's length check comes first.
  assert.equal(check(V2, 'v2Pass', (f, v) => { f[v + 3] = 2; }), 'ko: (VI_1) vrrp packet too short, length 40 and expect 44');
  const V3: CheckConfig = { name: 'V3', version: 3, vrid: 52, advertIntMs: 500, vips: [ip('192.168.77.101'), ip('192.168.77.102')], unicast: false };
  assert.equal(check(V3, 'v3Ipv4'), 'ok');
  // v3 takes the master's interval: a different one is not an error.
  assert.equal(check({ ...V3, advertIntMs: 1000 }, 'v3Ipv4'), 'ok');
  assert.equal(check(V3, 'v3Ipv4', (f, v) => { f[v + 2] = 81; }, false), 'ko: (V3) Invalid VRRPv3 checksum');
  // The pseudo-header counts: the same bytes to another destination fail.
  assert.equal(check(V3, 'v3Ipv4', (f) => { f[33] = 0x13; }), 'ko: (V3) Invalid VRRPv3 checksum');
  assert.equal(check(V2, 'v3Ipv4'), 'ko: (VI_1) wrong version. Received 3 and expect 2');
  const V6: CheckConfig = { name: 'V6', version: 3, vrid: 53, advertIntMs: 1000, vips: [ip('fd00:77::100')], unicast: false };
  assert.equal(check(V6, 'v6'), 'ok');
  assert.equal(check(V6, 'v6', (f) => { f[21] = 1; }), 'ko: (V6) invalid TTL/HL. Received 1 and expect 255');
});
