// Known answers for the reference checksum, and that verifyFrameChecksums finds what is broken.
// The reference is what the engine's checksums will be judged by, so it is itself checked by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inetChecksum, verifyFrameChecksums, verifyPacketChecksums } from './csum-ref.js';
import { eth, ipv4, ipv6 } from './builder.js';
import { SAMPLES } from './samples.js';

const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

test('RFC 1071 section 3 example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d', () => {
  assert.equal(inetChecksum(fromHex('0001f203f4f5f6f7')), 0x220d);
  // Appending the checksum makes the whole come out zero, which is how a receiver checks.
  assert.equal(inetChecksum(fromHex('0001f203f4f5f6f7220d')), 0);
});

test('an odd trailing byte is padded with zero', () => {
  assert.equal(inetChecksum(fromHex('01')), 0xfeff);
  assert.equal(inetChecksum(fromHex('0001f203f4f5f6f7ab')), inetChecksum(fromHex('0001f203f4f5f6f7ab00')));
});

test('offset and length select the region', () => {
  const b = fromHex('ffff 0001f203f4f5f6f7 ffff');
  assert.equal(inetChecksum(b, 2, 8), 0x220d);
});

test('a textbook IPv4 header: 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7', () => {
  const h = fromHex('450000730000400040110000c0a80001c0a800c7');
  assert.equal(inetChecksum(h), 0xb861);
});

test('carries fold even over a long all-ones buffer', () => {
  assert.equal(inetChecksum(new Uint8Array(65536).fill(0xff)), 0);
  assert.equal(inetChecksum(new Uint8Array(0)), 0xffff);
});

/*
 * A fixed SYN, checked by hand:
 *   eth   02:00:00:00:00:02 <- 02:00:00:00:00:01, type 0800
 *   ipv4  45 00 0028 0001 4000 40 06 [263c] 0a000030 0a000064    10.0.0.48 -> 10.0.0.100, DF, ttl 64
 *         4500+0028+0001+4000+4006+0a00+0030+0a00+0064 = d9c3, no carry; ~d9c3 = 263c
 *   tcp   9c40 0050 000003e8 00000000 5002 ffff [fad6] 0000      40000 -> 80, seq 1000, S, win 65535
 *         pseudo: 0a00+0030+0a00+0064 + 0006 + 0014 (length 20) = 14ae
 *         header: 9c40+0050+03e8+5002+ffff = 1f079 -> f079+1 = f07a
 *         f07a+14ae = 10528 -> 0528+1 = 0529; ~0529 = fad6
 */
const HAND_SYN =
  '020000000002 020000000001 0800' +
  '4500 0028 0001 4000 4006 263c 0a000030 0a000064' +
  '9c40 0050 000003e8 00000000 5002 ffff fad6 0000';

test('a captured-style TCP/IPv4 SYN with hand-computed checksums verifies, and the builder makes it byte for byte', () => {
  const frame = fromHex(HAND_SYN);
  assert.deepEqual(verifyFrameChecksums(frame), { ok: true, problems: [] });
  assert.equal(inetChecksum(frame, 14, 20), 0);
  const built = eth().ipv4({ src: '10.0.0.48', dst: '10.0.0.100', id: 1, flags: 'DF' }).tcp({ sport: 40000, dport: 80, seq: 1000, win: 65535 }).hex();
  assert.equal(built, HAND_SYN.replace(/\s+/g, ''));
});

test('every sample frame verifies', () => {
  for (const s of SAMPLES) assert.deepEqual(verifyFrameChecksums(s.frame.build()), { ok: true, problems: [] }, s.name);
});

/** Flips one bit of the byte at `at` and returns the problems reported. */
function corrupt(frame: Uint8Array, at: number): string[] {
  const copy = frame.slice();
  copy[at]! ^= 0x10;
  return verifyFrameChecksums(copy).problems;
}

test('corrupting the IPv4 TTL breaks only the header checksum (TTL is not in the pseudo-header)', () => {
  const f = fromHex(HAND_SYN);
  assert.deepEqual(corrupt(f, 14 + 8), ['ipv4 header: checksum 0x263c, expected 0x163c']);
});

test('corrupting an IPv4 address breaks the header and the TCP pseudo-header sums', () => {
  const problems = corrupt(fromHex(HAND_SYN), 14 + 15);
  assert.equal(problems.length, 2);
  assert.match(problems[0]!, /^ipv4 header: checksum 0x263c, expected /);
  assert.match(problems[1]!, /^ipv4\/tcp: checksum 0xfad6, expected /);
});

test('corrupting a TCP byte names the TCP checksum with the right value', () => {
  assert.deepEqual(corrupt(fromHex(HAND_SYN), 34 + 14), ['ipv4/tcp: checksum 0xfad6, expected 0x0ad7']);
});

test('UDP: zero is "no checksum" over IPv4 but invalid over IPv6', () => {
  const v4 = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ sport: 1, dport: 2, checksum: 0 }).payload('a');
  assert.equal(verifyFrameChecksums(v4.build()).ok, true);
  const v6 = eth().ipv6({ src: 'fd00::1', dst: 'fd00::2' }).udp({ sport: 1, dport: 2, checksum: 0 }).payload('a');
  assert.deepEqual(verifyFrameChecksums(v6.build()).problems, ['ipv6/udp: zero checksum is not allowed over IPv6']);
});

test('a UDP length field that disagrees with the IP payload is reported', () => {
  const f = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ sport: 1, dport: 2, length: 20 }).payload('abc');
  assert.deepEqual(verifyFrameChecksums(f.build()).problems.slice(0, 1), ['ipv4/udp: length field 20 but the IP payload is 11 bytes']);
});

test('inner packets are verified: IP-in-IP, IPv6-in-IPv6, GRE', () => {
  const ipip = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).ipv4({ src: '3.3.3.3', dst: '4.4.4.4' }).tcp({ sport: 1, dport: 2, badChecksum: true });
  assert.deepEqual(verifyFrameChecksums(ipip.build()).problems.map((p) => p.split(':')[0]), ['ipv4/ipv4/tcp']);
  const six = eth().ipv6({ src: 'fc00::1', dst: 'fc00::2' }).ipv6({ src: 'fc00::3', dst: 'fc00::4' }).udp({ sport: 1, dport: 2, badChecksum: true });
  assert.deepEqual(verifyFrameChecksums(six.build()).problems.map((p) => p.split(':')[0]), ['ipv6/ipv6/udp']);
  const gre = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).gre({ key: 1, csum: true }).ipv4({ src: '3.3.3.3', dst: '4.4.4.4', badChecksum: true }).udp({ sport: 1, dport: 2 });
  // The GRE checksum was computed over the (already wrong) inner packet, so only the inner header fails.
  assert.deepEqual(verifyFrameChecksums(gre.build()).problems.map((p) => p.split(':')[0]), ['ipv4/gre/ipv4 header']);
});

test('a GRE checksum covers its payload', () => {
  const f = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).gre({ csum: true }).ipv4({ src: '3.3.3.3', dst: '4.4.4.4' }).udp({ sport: 1, dport: 2, checksum: 0 }).payload('zz').build();
  assert.deepEqual(corrupt(f, f.length - 1).map((p) => p.split(':')[0]), ['ipv4/gre']);
});

test('an ICMP error quote: the quoted IPv4 header checksum is checked, a short quote is fine', () => {
  const inner = ipv4({ src: '10.0.0.100', dst: '10.0.0.48', badChecksum: true }).tcp({ sport: 80, dport: 40000 });
  const f = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.100' }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: inner, quoteLen: 28 });
  assert.deepEqual(verifyFrameChecksums(f.build()).problems.map((p) => p.split(':')[0]), ['ipv4/icmp/quote ipv4 header']);
  const cut = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.100' }).icmp({ type: 'time-exceeded', quote: inner, quoteLen: 12 });
  assert.equal(verifyFrameChecksums(cut.build()).ok, true, 'a quote shorter than the IP header is not judged');
});

test('ICMP and ICMPv6 message checksums', () => {
  const v4 = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).icmp({ type: 'echo-request', id: 1, seq: 1, data: 'x' }).build();
  assert.deepEqual(corrupt(v4, v4.length - 1).map((p) => p.split(':')[0]), ['ipv4/icmp']);
  const v6 = eth().ipv6({ src: 'fd00::1', dst: 'fd00::2' }).icmpv6({ type: 'echo-request', id: 1, seq: 1, data: 'x' }).build();
  assert.deepEqual(corrupt(v6, v6.length - 1).map((p) => p.split(':')[0]), ['ipv6/icmpv6']);
  // ICMPv6 includes the pseudo-header, so a source address change breaks it; ICMPv4 has none.
  assert.deepEqual(corrupt(v6, 14 + 8 + 15).map((p) => p.split(':')[0]), ['ipv6/icmpv6']);
});

test('IPv6 routing header with segments left: the pseudo-header uses the final destination', () => {
  const f = eth().ipv6({ src: 'fd00::1', dst: 'fd00::5', ext: [{ kind: 'routing', segmentsLeft: 2, addresses: ['fd00::6', 'fd00::7'] }] }).tcp({ sport: 1, dport: 2 }).build();
  assert.equal(verifyFrameChecksums(f).ok, true);
  // The current destination is not covered, the final one (last address) is.
  assert.deepEqual(corrupt(f, 14 + 24 + 15), []);
  assert.deepEqual(corrupt(f, f.length - 21).map((p) => p.split(':')[0]), ['ipv6/tcp']);
  const srh = eth().ipv6({ src: 'fd00::1', dst: 'fd00::5', ext: [{ kind: 'routing', routingType: 4, segmentsLeft: 1, addresses: ['fd00::9', 'fd00::5'] }] }).udp({ sport: 1, dport: 2 }).build();
  assert.equal(verifyFrameChecksums(srh).ok, true);
});

test('fragments: the transport checksum is not judged, the IP header still is', () => {
  const frag = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.2', flags: 'MF' }).udp({ sport: 1, dport: 2, badChecksum: true }).build();
  assert.equal(verifyFrameChecksums(frag).ok, true);
  assert.deepEqual(corrupt(frag, 14 + 8).map((p) => p.split(':')[0]), ['ipv4 header']);
  const frag6 = eth().ipv6({ src: 'fd00::1', dst: 'fd00::2', ext: [{ kind: 'fragment', offset: 0, mf: true }] }).udp({ sport: 1, dport: 2, badChecksum: true }).build();
  assert.equal(verifyFrameChecksums(frag6).ok, true);
});

test('truncated and inconsistent lengths are problems, not crashes', () => {
  const f = fromHex(HAND_SYN);
  assert.match(verifyFrameChecksums(f.subarray(0, 10)).problems[0]!, /^eth: truncated/);
  assert.match(verifyFrameChecksums(f.subarray(0, 40)).problems[0]!, /^ipv4: total length 40 but 26 bytes present/);
  const v6 = ipv6({ src: 'fd00::1', dst: 'fd00::2', payloadLength: 100 }).udp({ sport: 1, dport: 2 }).build();
  assert.match(verifyPacketChecksums(v6).problems[0]!, /^ipv6: payload length 100 but 8 bytes present/);
});

test('Ethernet padding after the IP packet is ignored', () => {
  const f = fromHex(HAND_SYN + '000000000000');
  assert.equal(verifyFrameChecksums(f).ok, true);
});
