// Malformed frames at every layer, each sent to a VIP: dropped with its exact reason, one drop
// counted, nothing sent, nothing thrown. A few look malformed and are not (padding, UDP sum 0).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PC_DROPS, PC_KERNEL_PKTS, PC_RX_PKTS, PC_TX_PKTS, PORT_COUNTERS } from '../../src/netif/counters.js';
import { eth, type PacketBuilder } from '../support/builder.js';
import { engineFrom, type OutFrame } from '../support/fixture.js';
import { CIP, CIP6, CONFIG, LIP, MAC, VIP } from './all-methods.js';

const fromClient = eth({ src: MAC.client, dst: MAC.wan });
const ip4 = fromClient.ipv4({ src: CIP, dst: VIP.fnat });
const ip6 = fromClient.ipv6({ src: CIP6, dst: VIP.fnat6 });
const syn4 = ip4.tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000 });

/** Offsets in an untagged frame: the IP header and, for a 20-byte IPv4 header, the transport header. */
const L3 = 14;
const L4 = 34;

/** The first `n` bytes of the frame. */
const cut = (b: PacketBuilder, n: number): Uint8Array => b.build().subarray(0, n);

/** The frame with `bytes` written at `at` (checksums are not fixed: the damage is found first). */
function patch(b: PacketBuilder, at: number, bytes: number[]): Uint8Array {
  const f = b.build();
  f.set(bytes, at);
  return f;
}

interface Case {
  desc: string;
  frame: PacketBuilder | Uint8Array;
  drop: string;
}

const CASES: Case[] = [
  // ---- Ethernet and 802.1Q
  { desc: 'an empty frame', frame: new Uint8Array(0), drop: 'l2_truncated' },
  { desc: 'an Ethernet header cut at 13 bytes', frame: cut(syn4, 13), drop: 'l2_truncated' },
  { desc: 'an 802.1Q tag cut after 2 of its 4 bytes', frame: cut(eth({ src: MAC.client, dst: MAC.wan, vlan: 7 }).ipv4({ src: CIP, dst: VIP.fnat }).tcp({ sport: 1, dport: 80 }), 16), drop: 'vlan_truncated' },
  // ---- ARP
  { desc: 'ARP cut at 20 of 28 bytes', frame: cut(fromClient.arp({ op: 'request', sha: MAC.client, spa: CIP, tpa: VIP.fnat }), L3 + 20), drop: 'arp_malformed' },
  { desc: 'ARP for a hardware type other than Ethernet', frame: patch(fromClient.arp({ op: 'request', sha: MAC.client, spa: CIP, tpa: VIP.fnat }), L3, [0, 6]), drop: 'arp_malformed' },
  { desc: 'ARP with protocol address length 16', frame: patch(fromClient.arp({ op: 'request', sha: MAC.client, spa: CIP, tpa: VIP.fnat }), L3 + 5, [16]), drop: 'arp_malformed' },
  // ---- IPv4 header
  { desc: 'an IPv4 header cut at 19 bytes', frame: cut(syn4, L3 + 19), drop: 'ip_truncated' },
  { desc: 'version 5 under the IPv4 EtherType', frame: patch(syn4, L3, [0x55]), drop: 'ip_bad_version' },
  { desc: 'IHL 4 (16 bytes, less than the fixed header)', frame: patch(syn4, L3, [0x44]), drop: 'ip_bad_ihl' },
  { desc: 'IHL 0', frame: patch(syn4, L3, [0x40]), drop: 'ip_bad_ihl' },
  { desc: 'IHL 15 (60 bytes) in a 40-byte packet: the header runs past the frame', frame: patch(fromClient.ipv4({ src: CIP, dst: VIP.fnat, proto: 6 }).payload(new Uint8Array(20)), L3, [0x4f]), drop: 'ip_truncated' },
  { desc: 'total length beyond the frame', frame: ip4.tcp({ sport: 1, dport: 80, flags: 'S' }).build().subarray(0, L4 + 19), drop: 'ip_bad_length' },
  { desc: 'total length 1500 in a 54-byte frame', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, totalLength: 1500 }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip_bad_length' },
  { desc: 'total length 19, shorter than the header', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, totalLength: 19 }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip_bad_length' },
  { desc: 'IHL 6 with total length 20', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, options: [1, 1, 1, 1], totalLength: 20 }).tcp({ sport: 1, dport: 80 }), drop: 'ip_bad_length' },
  { desc: 'a bad IPv4 header checksum', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, badChecksum: true }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip_bad_csum' },
  // ---- IPv4 options
  { desc: 'an IPv4 option of length 0', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, options: [0x07, 0, 0, 0] }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip_bad_options' },
  { desc: 'an IPv4 option of length 1', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, options: [0x44, 1, 0, 0] }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip_bad_options' },
  { desc: 'an IPv4 option running past the header', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, options: [0x07, 9, 4, 0, 0, 0, 0, 0] }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip_bad_options' },
  { desc: 'an IPv4 option type in the last byte with no room for its length', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, options: [1, 1, 1, 0x83] }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip_bad_options' },
  // ---- IPv6 header and extension headers
  { desc: 'an IPv6 header cut at 39 bytes', frame: cut(ip6.tcp({ sport: 1, dport: 80 }), L3 + 39), drop: 'ip_truncated' },
  { desc: 'version 4 under the IPv6 EtherType', frame: patch(ip6.tcp({ sport: 1, dport: 80 }), L3, [0x40]), drop: 'ip_bad_version' },
  { desc: 'IPv6 payload length beyond the frame', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, payloadLength: 21 }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip_bad_length' },
  { desc: 'an extension header cut short: 4 bytes of hop-by-hop', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, nextHeader: 0 }).payload(new Uint8Array([6, 0, 1, 2])), drop: 'ip6_bad_exthdr' },
  { desc: 'an extension header whose length runs past the payload', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, nextHeader: 60 }).payload(new Uint8Array([6, 1, 1, 4, 0, 0, 0, 0])), drop: 'ip6_bad_exthdr' },
  { desc: 'hop-by-hop options after another extension header', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, ext: [{ kind: 'dstopts' }, { kind: 'hbh' }] }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip6_bad_exthdr' },
  { desc: 'a chain of 9 extension headers', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, ext: Array.from({ length: 9 }, () => ({ kind: 'dstopts' as const })) }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'ip6_bad_exthdr' },
  // ---- TCP
  { desc: 'a TCP header of 10 bytes', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, proto: 6 }).payload(new Uint8Array(10)), drop: 'l4_truncated' },
  { desc: 'a TCP header of 19 bytes over IPv6', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, nextHeader: 6 }).payload(new Uint8Array(19)), drop: 'l4_truncated' },
  { desc: 'TCP data offset 4', frame: patch(syn4, L4 + 12, [0x40]), drop: 'tcp_bad_doff' },
  { desc: 'TCP data offset 15 in a 20-byte segment', frame: patch(syn4, L4 + 12, [0xf0]), drop: 'tcp_bad_doff' },
  { desc: 'a TCP option of length 0', frame: patch(ip4.tcp({ sport: 1, dport: 80, flags: 'S', options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }] }), L4 + 20, [2, 0]), drop: 'tcp_bad_options' },
  { desc: 'a TCP option of length 1', frame: patch(ip4.tcp({ sport: 1, dport: 80, flags: 'S', options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }] }), L4 + 20, [8, 1]), drop: 'tcp_bad_options' },
  { desc: 'a TCP option running past the header', frame: patch(ip4.tcp({ sport: 1, dport: 80, flags: 'S', options: [{ kind: 'mss', value: 1460 }] }), L4 + 21, [6]), drop: 'tcp_bad_options' },
  { desc: 'a TCP option kind in the last byte of the header', frame: patch(ip4.tcp({ sport: 1, dport: 80, flags: 'S', options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }] }), L4 + 23, [2]), drop: 'tcp_bad_options' },
  // ---- UDP
  { desc: 'a UDP header of 5 bytes', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, proto: 17 }).payload(new Uint8Array(5)), drop: 'l4_truncated' },
  { desc: 'UDP length 7', frame: ip4.udp({ sport: 1, dport: 53, length: 7 }).payload('q'), drop: 'udp_bad_length' },
  { desc: 'UDP length beyond the IP payload', frame: ip4.udp({ sport: 1, dport: 53, length: 20 }).payload('q'), drop: 'udp_bad_length' },
  // ---- ICMP
  { desc: 'an ICMP message of 4 bytes', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, proto: 1 }).payload(new Uint8Array([8, 0, 0xf7, 0xff])), drop: 'icmp_malformed' },
  { desc: 'an ICMPv6 message of 6 bytes', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, nextHeader: 58 }).payload(new Uint8Array(6)), drop: 'icmp_malformed' },
  // ---- checksums to a VIP
  { desc: 'a SYN to the VIP with a bad TCP checksum', frame: ip4.tcp({ sport: 40000, dport: 80, flags: 'S', badChecksum: true }), drop: 'l4_bad_csum' },
  { desc: 'a SYN to the v6 VIP with a bad TCP checksum', frame: ip6.tcp({ sport: 40000, dport: 80, flags: 'S', badChecksum: true }), drop: 'l4_bad_csum' },
  { desc: 'a datagram to the VIP with a bad UDP checksum', frame: ip4.udp({ sport: 1, dport: 53, badChecksum: true }).payload('q'), drop: 'l4_bad_csum' },
  { desc: 'UDP over IPv6 with checksum 0 (not allowed, RFC 8200)', frame: ip6.udp({ sport: 1, dport: 53, checksum: 0 }).payload('q'), drop: 'l4_bad_csum' },
  { desc: 'an echo request to the VIP with a bad checksum', frame: ip4.icmp({ type: 'echo-request', id: 1, seq: 1, badChecksum: true }), drop: 'l4_bad_csum' },
  // ---- fragments to a VIP
  { desc: 'a first fragment (MF) to the VIP', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, flags: 'MF', id: 9 }).tcp({ sport: 40000, dport: 80, flags: 'S' }), drop: 'fragment' },
  { desc: 'a non-first fragment to the VIP', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, fragOffset: 185, id: 9, proto: 6 }).payload('the rest of it'), drop: 'fragment' },
  { desc: 'a last fragment of UDP to the VIP', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, fragOffset: 1, id: 10, proto: 17 }).payload('tail'), drop: 'fragment' },
  { desc: 'an IPv6 fragment to the v6 VIP', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, ext: [{ kind: 'fragment', mf: true, id: 5 }] }).tcp({ sport: 1, dport: 80, flags: 'S' }), drop: 'fragment' },
  { desc: 'a non-first IPv6 fragment to the v6 VIP', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, ext: [{ kind: 'fragment', offset: 100, id: 5 }], nextHeader: 6 }).payload('more'), drop: 'fragment' },
];

/**
 * Feeds the frame to a fresh engine on dpdk1 and checks what comes out; returns the drops counted
 * in all and dpdk1's counters (received, sent, to the kernel, dropped).
 */
function feed(frame: PacketBuilder | Uint8Array, drop: string | undefined, out: OutFrame[]): { drops: number; port: number[] } {
  const c = engineFrom(CONFIG, { connCapacity: 1024 });
  c.step({ desc: 'the frame', in: { port: 'dpdk1', frame }, out, drop });
  const p = c.engine.stack.counters.port;
  const at = (k: number): number => p[1 * PORT_COUNTERS + k]!;
  return { drops: c.engine.stack.counters.drops.reduce((a, b) => a + b, 0), port: [at(PC_RX_PKTS), at(PC_TX_PKTS), at(PC_KERNEL_PKTS), at(PC_DROPS)] };
}

for (const c of CASES) {
  test(`malformed: ${c.desc} -> ${c.drop}`, () => {
    const r = feed(c.frame, c.drop, []);
    assert.equal(r.drops, 1, 'exactly one drop counted, for one reason');
    assert.deepEqual(r.port, [1, 0, 0, 1], 'dpdk1: received 1, sent 0, to the kernel 0, dropped 1');
  });
}

// Lookalikes that are fine: the checks above must not catch them.
test('Ethernet padding after the IP packet is not a length error: the SYN goes out without it', () => {
  const padded = new Uint8Array(60);
  padded.set(syn4.build());
  const r = feed(padded, undefined, [{ port: 'dpdk0', expect: { ipv4: { src: LIP, dst: '192.168.100.2', totalLength: 40 }, tcp: { dport: 80, flags: 'S', payloadLen: 0 } } }]);
  assert.equal(r.drops, 0);
});

test('UDP checksum 0 over IPv4 means "none" and is forwarded as such', () => {
  const r = feed(ip4.udp({ sport: 5353, dport: 53, checksum: 0 }).payload('q'), undefined, [{ port: 'dpdk0', expect: { ipv4: { src: LIP, dst: '192.168.100.2' }, udp: { sport: 1025, dport: 53, checksum: 0, payload: 'q' } } }]);
  assert.equal(r.drops, 0);
});

test('a fragment to an address that is not a VIP goes to the kernel, not dropped', () => {
  const r = feed(fromClient.ipv4({ src: CIP, dst: '10.0.0.1', fragOffset: 185, id: 9, proto: 6 }).payload('the rest'), undefined, [
    { port: 'dpdk1', kernel: true, expect: { ipv4: { dst: '10.0.0.1', fragOffset: 185 } } },
  ]);
  assert.equal(r.drops, 0);
});
