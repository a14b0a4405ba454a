// The frame builder: byte layouts that fixtures rely on, defaults, and forced or broken checksums.
// Checksums are judged by csum-ref; field layouts by reading the bytes at their RFC offsets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth, ipv4, ipv6, raw } from './builder.js';
import { verifyFrameChecksums, verifyPacketChecksums } from './csum-ref.js';

const be16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('the brief\'s example: lengths, protocol numbers, checksums and options in place', () => {
  const f = eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' })
    .ipv4({ src: '10.0.0.48', dst: '10.0.0.100', ttl: 64, id: 1 })
    .tcp({
      sport: 40000, dport: 80, flags: 'S', seq: 1000, ack: 0, win: 65535,
      options: [{ kind: 'mss', value: 1460 }, { kind: 'sackok' }, { kind: 'ts', val: 1, ecr: 0 }, { kind: 'wscale', value: 7 }, { kind: 'nop' }, { kind: 'toa', port: 40000, addr: '1.2.3.4' }],
    })
    .payload('hello')
    .build();
  assert.equal(be16(f, 12), 0x0800);
  const optLen = 4 + 2 + 10 + 3 + 1 + 8; // 28, already a multiple of 4
  assert.equal(be16(f, 16), 20 + 20 + optLen + 5, 'IPv4 total length');
  assert.equal(f[23], 6, 'protocol TCP');
  assert.equal(f[34 + 12]! >>> 4, (20 + optLen) / 4, 'TCP data offset');
  assert.equal(f[34 + 13], 0x02, 'SYN');
  // TOA (DPVS): kind 254, length 8, port, IPv4 address, right after the other options here.
  assert.equal(hexOf(f.subarray(34 + 20 + 20, 34 + 20 + 28)), 'fe089c4001020304');
  assert.equal(Buffer.from(f.subarray(f.length - 5)).toString(), 'hello');
  assert.deepEqual(verifyFrameChecksums(f), { ok: true, problems: [] });
});

test('TCP options are padded with zeros (EOL) to a multiple of 4', () => {
  const f = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).tcp({ sport: 1, dport: 2, options: [{ kind: 'wscale', value: 7 }] }).build();
  assert.equal(f[20 + 12]! >>> 4, 6);
  assert.equal(hexOf(f.subarray(40, 44)), '03030700');
});

test('TOA over IPv6 is 20 bytes: 254, 20, port, 16-byte address', () => {
  const f = ipv6({ src: 'fd00::1', dst: 'fd00::2' }).tcp({ sport: 1, dport: 2, flags: 'A', options: [{ kind: 'toa', port: 8080, addr: '2001:db8::1' }] }).build();
  assert.equal(hexOf(f.subarray(60, 80)), 'fe141f90' + '20010db8000000000000000000000001');
  assert.equal(f[40 + 12]! >>> 4, 10);
});

test('TCP flags in any order', () => {
  const flags = (s: string) => ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).tcp({ sport: 1, dport: 2, flags: s }).build()[33];
  assert.equal(flags('SA'), 0x12);
  assert.equal(flags('AS'), 0x12);
  assert.equal(flags('FSRPAUEC'), 0xff);
  assert.equal(flags(''), 0);
  assert.throws(() => flags('X'), /unknown TCP flag 'X'/);
});

test('IPv4 defaults and fields: version/IHL, flags, fragment offset, options padded', () => {
  const p = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', tos: 0xb8, flags: 'DF+MF', fragOffset: 185, options: [1, 1, 1] }).raw(new Uint8Array(4)).build();
  assert.equal(p[0], 0x46, 'IHL 6 with one word of options');
  assert.equal(p[1], 0xb8);
  assert.equal(be16(p, 4), 1, 'scapy\'s default id');
  assert.equal(be16(p, 6), 0x6000 | 185);
  assert.equal(p[8], 64);
  assert.equal(p[9], 0, 'no next layer: protocol 0, as scapy');
  assert.equal(hexOf(p.subarray(20, 24)), '01010100');
  assert.equal(be16(p, 2), 28);
  assert.equal(verifyPacketChecksums(p).ok, true);
});

test('badChecksum and forced checksums', () => {
  const bad = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2', badChecksum: true }).udp({ sport: 1, dport: 2 }).build();
  assert.deepEqual(verifyFrameChecksums(bad).problems.map((p) => p.split(':')[0]), ['ipv4 header']);
  const forced = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).udp({ sport: 1, dport: 2, checksum: 0 }).build();
  assert.equal(be16(forced, 14 + 20 + 6), 0);
  const tcp = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).tcp({ sport: 1, dport: 2, checksum: 0xbeef }).build();
  assert.equal(be16(tcp, 14 + 20 + 16), 0xbeef);
});

test('UDP: a checksum that computes to zero is sent as ffff (RFC 768)', () => {
  // Choose the payload so that the sum comes out to exactly ffff before complementing.
  const base = ipv4({ src: '0.0.0.0', dst: '0.0.0.0' }).udp({ sport: 0, dport: 0 });
  const zero = base.payload(new Uint8Array(2)).build();
  const sumWithoutPayload = 0xffff - be16(zero, 26); // the one's-complement sum so far
  const fill = 0xffff - sumWithoutPayload;
  const p = base.payload(new Uint8Array([fill >>> 8, fill & 255])).build();
  assert.equal(be16(p, 26), 0xffff);
  assert.equal(verifyPacketChecksums(p).ok, true);
});

test('IPv6 with extension headers chains next-header values and pads options to 8 bytes', () => {
  const p = ipv6({ src: 'fd00::1', dst: 'fd00::2', tc: 0xa0, flowLabel: 0xbeef, ext: [{ kind: 'hbh' }, { kind: 'fragment', id: 5, offset: 0, mf: false }, { kind: 'dstopts', options: [1, 1, 0] }] }).udp({ sport: 1, dport: 2 }).build();
  assert.equal(p[0], 0x6a);
  assert.equal(((p[1]! & 15) << 16) | be16(p, 2), 0xbeef);
  assert.equal(p[6], 0, 'first: hop-by-hop');
  assert.equal(hexOf(p.subarray(40, 48)), '2c00010400000000', 'HBH: next fragment, len 0, PadN of 4');
  assert.equal(hexOf(p.subarray(48, 56)), '3c00000000000005', 'fragment: next dest-opts, id 5');
  assert.equal(hexOf(p.subarray(56, 64)), '1100' + '010100' + '010100', 'dest-opts: next UDP, the options, then PadN');
  assert.equal(be16(p, 4), 24 + 8);
  assert.equal(verifyPacketChecksums(p).ok, true);
});

test('encapsulation picks protocol numbers from the next layer', () => {
  const proto = (b: Uint8Array) => b[9];
  assert.equal(proto(ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).ipv4({ src: '3.3.3.3', dst: '4.4.4.4' }).build()), 4);
  assert.equal(proto(ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).ipv6({ src: 'fd00::1', dst: 'fd00::2' }).build()), 41);
  assert.equal(ipv6({ src: 'fd00::1', dst: 'fd00::2' }).ipv4({ src: '3.3.3.3', dst: '4.4.4.4' }).build()[6], 4);
  assert.equal(ipv6({ src: 'fd00::1', dst: 'fd00::2' }).build()[6], 59, 'nothing follows: No Next Header');
  // The brief's spelling of IPIP: an explicit protocol and the inner packet as raw bytes.
  const inner = ipv4({ src: '3.3.3.3', dst: '4.4.4.4' }).udp({ sport: 1, dport: 2 });
  const a = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 4 }).raw(inner).build();
  const b = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).ipv4({ src: '3.3.3.3', dst: '4.4.4.4' }).udp({ sport: 1, dport: 2 }).build();
  assert.deepEqual(a, b);
  assert.deepEqual(raw(inner).build(), inner.build());
});

test('GRE header: flags, optional fields in RFC 2890 order, protocol from the next layer', () => {
  const p = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).gre({ csum: true, key: 0x01020304, seq: 9 }).ipv6({ src: 'fd00::1', dst: 'fd00::2' }).build();
  assert.equal(p[9], 47);
  assert.equal(hexOf(p.subarray(20, 24)), 'b00086dd');
  assert.equal(hexOf(p.subarray(26, 36)), '0000' + '01020304' + '00000009');
  assert.equal(verifyPacketChecksums(p).ok, true);
  const plain = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).gre().eth().build();
  assert.equal(hexOf(plain.subarray(20, 24)), '00006558', 'Ethernet inside: transparent bridging');
});

test('ICMP: echo fields, frag-needed MTU at bytes 6-7, and the quote of another builder\'s packet', () => {
  const echo = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).icmp({ type: 'echo-request', id: 0x1234, seq: 7, data: 'ab' }).build();
  assert.equal(hexOf(echo.subarray(20)), '0800' + hexOf(echo.subarray(22, 24)) + '12340007' + '6162');
  const inner = ipv4({ src: '2.2.2.2', dst: '3.3.3.3' }).tcp({ sport: 80, dport: 1234 }).payload('zzz');
  const err = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: inner, quoteLen: 28 }).build();
  assert.equal(err[20], 3);
  assert.equal(err[21], 4);
  assert.equal(be16(err, 26), 1400);
  assert.deepEqual(err.subarray(28), inner.build().subarray(0, 28));
  assert.equal(be16(err, 2), 20 + 8 + 28);
  const te = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).icmp({ type: 'time-exceeded', quote: inner.build() }).build();
  assert.equal(te[20], 11);
  assert.equal(te.length, 28 + inner.build().length);
  assert.equal(verifyPacketChecksums(te).ok, true);
});

test('ICMPv6: packet-too-big MTU, NS/NA with link-layer address options and NA flags', () => {
  const ptb = ipv6({ src: 'fd00::1', dst: 'fd00::2' }).icmpv6({ type: 'packet-too-big', mtu: 1400, quote: new Uint8Array(48) }).build();
  assert.equal(ptb[40], 2);
  assert.equal(hexOf(ptb.subarray(44, 48)), '00000578');
  const ns = ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:2', hlim: 255 }).icmpv6({ type: 'ns', target: 'fd00::2', sll: '02:00:00:00:00:01' }).build();
  assert.equal(ns[40], 135);
  assert.equal(hexOf(ns.subarray(48, 64)), 'fd000000000000000000000000000002');
  assert.equal(hexOf(ns.subarray(64, 72)), '0101020000000001');
  const na = ipv6({ src: 'fd00::2', dst: 'fe80::1', hlim: 255 }).icmpv6({ type: 'na', target: 'fd00::2', tll: '02:00:00:00:00:02', router: true, solicited: true, override: true }).build();
  assert.equal(na[44], 0xe0);
  assert.equal(hexOf(na.subarray(64, 72)), '0201020000000002');
  for (const p of [ptb, ns, na]) assert.equal(verifyPacketChecksums(p).ok, true);
});

test('Ethernet: 802.1Q tag, ARP layout', () => {
  const f = eth({ src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff', vlan: 100, pcp: 5 }).arp({ op: 'request', sha: '02:00:00:00:00:01', spa: '10.0.0.1', tpa: '10.0.0.2' }).build();
  assert.equal(hexOf(f.subarray(12, 18)), '8100' + 'a064' + '0806');
  assert.equal(hexOf(f.subarray(18, 26)), '0001080006040001');
  assert.equal(hexOf(f.subarray(26 + 6, 26 + 10)), '0a000001');
  assert.equal(f.length, 18 + 28);
});

test('hex(), base64() and bad input', () => {
  const b = ipv4({ src: '1.1.1.1', dst: '2.2.2.2' });
  assert.equal(b.hex(), hexOf(b.build()));
  assert.equal(Buffer.from(b.base64(), 'base64').toString('hex'), b.hex());
  assert.throws(() => ipv4({ src: '1.1.1', dst: '2.2.2.2' }).build(), /bad IPv4 address '1\.1\.1'/);
  assert.throws(() => eth({ src: 'zz' }).build(), /bad MAC address/);
  assert.throws(() => raw(new Uint8Array(1)).tcp({ sport: 1, dport: 2 }).build(), /needs an enclosing ipv4\(\) or ipv6\(\)/);
});

test('builders are immutable: a shared prefix can be extended twice', () => {
  const base = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' });
  const a = base.udp({ sport: 1, dport: 2 }).build();
  const t = base.tcp({ sport: 1, dport: 2 }).build();
  assert.equal(a[23], 17);
  assert.equal(t[23], 6);
  assert.equal(base.build().length, 34);
});

test('toScapy reads like scapy', () => {
  const s = eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' })
    .ipv4({ src: '10.0.0.48', dst: '10.0.0.100', ttl: 64, id: 1 })
    .tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000, win: 65535, options: [{ kind: 'mss', value: 1460 }] })
    .payload('hello')
    .toScapy();
  assert.equal(s,
    'Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.0.0.48", dst="10.0.0.100", ttl=64, id=1)' +
    '/TCP(sport=40000, dport=80, seq=1000, flags="S", window=65535, options=[("MSS", 1460)])/Raw(load=b"hello")');
  // A deliberately bad checksum must be written out, or scapy would compute a good one.
  const bad = ipv4({ src: '1.1.1.1', dst: '2.2.2.2', badChecksum: true });
  assert.match(bad.toScapy(), new RegExp(`chksum=${be16(bad.build(), 10)}\\)$`));
});
