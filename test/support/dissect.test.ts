// dissect(build(x)) gives back the fields x was built from, and matchFields reports mismatches by path.
// Round trips run over the shared sample catalogue plus targeted cases for each layer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth, ipv4, ipv6 } from './builder.js';
import { dissect, dissectIp, matchFields, textOrHex } from './dissect.js';
import { SAMPLES } from './samples.js';

/** Asserts a partial match and prints every mismatch on failure. */
function assertMatch(actual: unknown, expected: unknown, what = ''): void {
  assert.deepEqual(matchFields(actual, expected), [], what);
}

test('TCP/IPv4 round trip: every field of the brief\'s example', () => {
  const f = eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' })
    .ipv4({ src: '10.0.0.48', dst: '10.0.0.100', ttl: 64, id: 1, tos: 4, flags: 'DF' })
    .tcp({
      sport: 40000, dport: 80, flags: 'S', seq: 1000, ack: 0, win: 65535,
      options: [{ kind: 'mss', value: 1460 }, { kind: 'sackok' }, { kind: 'ts', val: 1, ecr: 0 }, { kind: 'wscale', value: 7 }, { kind: 'nop' }, { kind: 'toa', port: 1234, addr: '1.2.3.4' }],
    })
    .payload('hello');
  assertMatch(dissect(f.build()), {
    eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type: 0x0800, vlan: undefined },
    ipv4: { src: '10.0.0.48', dst: '10.0.0.100', ttl: 64, tos: 4, id: 1, flags: 'DF', fragOffset: 0, proto: 6, totalLength: 73, ihl: 5, options: '' },
    tcp: {
      sport: 40000, dport: 80, seq: 1000, ack: 0, flags: 'S', win: 65535, doff: 12,
      options: [{ kind: 'mss', value: 1460 }, { kind: 'sackok' }, { kind: 'ts', val: 1, ecr: 0 }, { kind: 'wscale', value: 7 }, { kind: 'nop' }, { kind: 'toa', port: 1234, addr: '1.2.3.4' }],
      payload: 'hello', payloadLen: 5,
    },
    udp: undefined, ipv6: undefined, truncated: undefined,
  });
});

test('TCP/IPv6 with TOA v6, SACK blocks and binary payload', () => {
  const f = eth({ vlan: 7 }).ipv6({ src: 'fd00::1', dst: 'fd00::2', hlim: 3, tc: 0x28, flowLabel: 0xabcde })
    .tcp({ sport: 1, dport: 2, flags: 'PA', options: [{ kind: 'sack', blocks: [[10, 20]] }, { kind: 'toa', port: 9, addr: '2001:db8::7' }] })
    .payload(new Uint8Array([0, 1, 2]));
  assertMatch(dissect(f.build()), {
    eth: { vlan: 7, type: 0x86dd },
    ipv6: { src: 'fd00::1', dst: 'fd00::2', hlim: 3, tc: 0x28, flowLabel: 0xabcde, nextHeader: 6, payloadLength: 20 + 12 + 20 + 3, ext: [] },
    tcp: { flags: 'PA', options: [{ kind: 'sack', blocks: [[10, 20]] }, { kind: 'toa', port: 9, addr: '2001:db8::7' }], payload: '000102' },
  });
});

test('flags are listed in wire bit order, as scapy prints them', () => {
  const flags = (s: string) => dissect(eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).tcp({ sport: 1, dport: 2, flags: s }).build()).tcp?.flags;
  assert.equal(flags('AS'), 'SA');
  assert.equal(flags('AP'), 'PA');
  assert.equal(flags('AF'), 'FA');
  assert.equal(flags('CEUAPRSF'), 'FSRPAUEC');
});

test('UDP, ARP and unknown protocols', () => {
  assertMatch(dissect(eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).udp({ sport: 53, dport: 1000, checksum: 0 }).payload('dns').build()), {
    udp: { sport: 53, dport: 1000, length: 11, checksum: 0, payload: 'dns', payloadLen: 3 },
  });
  assertMatch(dissect(eth().arp({ op: 'reply', sha: '02:00:00:00:00:09', spa: '10.0.0.9', tha: '02:00:00:00:00:01', tpa: '10.0.0.1' }).build()), {
    eth: { type: 0x0806 }, arp: { op: 2, sha: '02:00:00:00:00:09', spa: '10.0.0.9', tha: '02:00:00:00:00:01', tpa: '10.0.0.1' },
  });
  assertMatch(dissect(eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 132 }).payload('sctp?').build()), {
    ipv4: { proto: 132 }, payload: 'sctp?', tcp: undefined,
  });
});

test('ICMP errors: type, code, MTU and the quoted packet dissected, cut short', () => {
  const inner = ipv4({ src: '10.0.0.100', dst: '10.0.0.48', id: 9 }).tcp({ sport: 80, dport: 40000, seq: 77, flags: 'SA' }).payload('x'.repeat(100));
  const f = eth().ipv4({ src: '10.0.0.1', dst: '10.0.0.100' }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: inner, quoteLen: 28 });
  assertMatch(dissect(f.build()), {
    icmp: {
      type: 3, code: 4, name: 'dest-unreach', mtu: 1400,
      inner: { ipv4: { src: '10.0.0.100', dst: '10.0.0.48', id: 9, totalLength: 140 }, tcp: { sport: 80, dport: 40000, seq: 77, flags: undefined }, truncated: 'ipv4' },
    },
  });
  const echo = eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).icmp({ type: 'echo-reply', id: 5, seq: 6, data: 'pong' });
  assertMatch(dissect(echo.build()).icmp, { type: 0, name: 'echo-reply', id: 5, seq: 6, data: 'pong', inner: undefined });
});

test('ICMPv6: packet-too-big with its quote, echo, NS and NA', () => {
  const inner = ipv6({ src: 'fd00::2', dst: 'fd00::3' }).udp({ sport: 1, dport: 2 }).payload('q');
  assertMatch(dissect(eth().ipv6({ src: 'fd00::1', dst: 'fd00::2' }).icmpv6({ type: 'packet-too-big', mtu: 1280, quote: inner }).build()).icmpv6, {
    type: 2, name: 'packet-too-big', mtu: 1280, inner: { ipv6: { src: 'fd00::2', dst: 'fd00::3' }, udp: { sport: 1, dport: 2, payload: 'q' }, truncated: undefined },
  });
  assertMatch(dissect(eth().ipv6({ src: 'fd00::1', dst: 'fd00::2' }).icmpv6({ type: 'echo-request', id: 1, seq: 2, data: 'hi' }).build()).icmpv6, {
    type: 128, name: 'echo-request', id: 1, seq: 2, data: 'hi',
  });
  assertMatch(dissect(eth().ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:2' }).icmpv6({ type: 'ns', target: 'fd00::2', sll: '02:00:00:00:00:01' }).build()).icmpv6, {
    name: 'ns', target: 'fd00::2', sll: '02:00:00:00:00:01', tll: undefined,
  });
  assertMatch(dissect(eth().ipv6({ src: 'fd00::2', dst: 'fe80::1' }).icmpv6({ type: 'na', target: 'fd00::2', tll: '02:00:00:00:00:02', solicited: true }).build()).icmpv6, {
    name: 'na', target: 'fd00::2', tll: '02:00:00:00:00:02', router: false, solicited: true, override: false,
  });
});

test('encapsulation: IPIP, IP6IP6 and GRE put the encapsulated packet under `inner`', () => {
  assertMatch(dissect(eth().ipv4({ src: '172.16.104.123', dst: '10.0.0.3' }).ipv4({ src: '10.0.0.48', dst: '10.200.1.1' }).udp({ sport: 31337, dport: 80 }).build()), {
    ipv4: { src: '172.16.104.123', proto: 4 }, inner: { ipv4: { src: '10.0.0.48', dst: '10.200.1.1' }, udp: { sport: 31337, dport: 80 } },
  });
  assertMatch(dissect(eth().ipv6({ src: 'fc00:2::1', dst: 'fc00::1' }).ipv6({ src: 'fd00::1', dst: 'fc00:1::1' }).tcp({ sport: 1, dport: 80 }).build()), {
    ipv6: { nextHeader: 41 }, inner: { ipv6: { dst: 'fc00:1::1' }, tcp: { dport: 80 } },
  });
  assertMatch(dissect(eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).gre({ key: 7, seq: 8, csum: true }).ipv6({ src: 'fd00::1', dst: 'fd00::2' }).udp({ sport: 3, dport: 4 }).build()), {
    gre: { proto: 0x86dd, key: 7, seq: 8, csum: true }, inner: { ipv6: { src: 'fd00::1' }, udp: { sport: 3 } },
  });
  assertMatch(dissect(eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).gre().eth({ src: '02:00:00:00:00:aa' }).arp().build()), {
    gre: { proto: 0x6558, csum: false, key: undefined }, inner: { eth: { src: '02:00:00:00:00:aa' }, arp: { op: 1 } },
  });
});

test('IPv6 extension headers and IPv4 options and fragments', () => {
  const f = eth().ipv6({ src: 'fd00::1', dst: 'fd00::2', ext: [{ kind: 'hbh', options: [5, 2, 0, 0] }, { kind: 'routing', segmentsLeft: 1, addresses: ['fd00::9'] }, { kind: 'fragment', offset: 0, mf: true, id: 3 }, { kind: 'dstopts' }] }).tcp({ sport: 1, dport: 2 });
  assertMatch(dissect(f.build()).ipv6, {
    nextHeader: 0,
    ext: [
      { kind: 'hbh', nextHeader: 43, options: '050200000100' },
      { kind: 'routing', nextHeader: 44, routingType: 0, segmentsLeft: 1, addresses: ['fd00::9'] },
      { kind: 'fragment', nextHeader: 60, offset: 0, mf: true, id: 3 },
      { kind: 'dstopts', nextHeader: 6 },
    ],
  });
  const later = dissect(eth().ipv4({ src: '1.1.1.1', dst: '2.2.2.2', flags: 'MF', fragOffset: 3, options: [1, 1, 1, 1] }).udp({ sport: 1, dport: 2 }).build());
  assertMatch(later, { ipv4: { flags: 'MF', fragOffset: 3, ihl: 6, options: '01010101' }, udp: undefined, payload: (p: unknown) => typeof p === 'string' && p.length === 16 });
});

test('every sample dissects without a truncation mark (a cut ICMP quote is marked inside icmp.inner)', () => {
  for (const s of SAMPLES) {
    const d = dissect(s.frame.build());
    assert.equal(d.truncated, undefined, s.name);
    assert.ok(d.eth, s.name);
  }
});

test('dissectIp takes a packet without Ethernet; short input is marked, not thrown', () => {
  assertMatch(dissectIp(ipv4({ src: '1.1.1.1', dst: '2.2.2.2' }).udp({ sport: 1, dport: 2 }).build()), { ipv4: { src: '1.1.1.1' }, udp: { sport: 1 } });
  assert.deepEqual(dissectIp(new Uint8Array([0x45, 0])), { truncated: 'ipv4' });
  assert.deepEqual(dissect(new Uint8Array(5)), { truncated: 'eth' });
});

test('textOrHex: printable text as is, anything else as hex', () => {
  assert.equal(textOrHex(new TextEncoder().encode('GET /\r\n')), 'GET /\r\n');
  assert.equal(textOrHex(new Uint8Array([0x41, 0x00])), '4100');
  assert.equal(textOrHex(new Uint8Array(0)), '');
});

test('matchFields: partial objects, absent fields, arrays, bytes, predicates; paths in messages', () => {
  const actual = { tcp: { flags: 'S', options: [{ kind: 'mss', value: 1460 }, { kind: 'nop' }], payload: '0001' }, ipv4: { ttl: 64 } };
  assert.deepEqual(matchFields(actual, { tcp: { flags: 'S' } }), []);
  assert.deepEqual(matchFields(actual, { tcp: { flags: 'SA' } }), ['tcp.flags: expected "SA", got "S"']);
  assert.deepEqual(matchFields(actual, { udp: undefined }), []);
  assert.deepEqual(matchFields(actual, { ipv4: undefined }), ['ipv4: expected absent, got {"ttl":64}']);
  assert.deepEqual(matchFields(actual, { tcp: { options: [{ kind: 'mss', value: 1400 }, {}] } }), ['tcp.options[0].value: expected 1400, got 1460']);
  assert.deepEqual(matchFields(actual, { tcp: { options: [{ kind: 'mss' }] } }),
    ['tcp.options: expected 1 elements, got 2: [{"kind":"mss","value":1460},{"kind":"nop"}]']);
  assert.deepEqual(matchFields(actual, { tcp: { payload: new Uint8Array([0, 1]) } }), []);
  assert.deepEqual(matchFields(actual, { ipv4: { ttl: (t: number) => t < 64 } }), ['ipv4.ttl: predicate failed on 64']);
  assert.deepEqual(matchFields(actual, { udp: { sport: 1 } }), ['udp: expected an object, got undefined']);
  assert.deepEqual(matchFields(1, 2), ['(root): expected 2, got 1']);
});
