// Transit forwarding with `tsvs set ipv4_defs.forwarding 1`: TTL/hop limit decremented and the IPv4
// checksum fixed; TTL 1 -> time exceeded; too big -> frag-needed / packet-too-big, or fragments.

import { test } from 'node:test';
import { eth, type PacketBuilder } from '../support/builder.js';
import { type ExactStep, MAC, converse, l3 } from '../support/exact.js';

/** Client side on dpdk1 (MTU 1500), server side on dpdk0 with `mtu 1400`. */
const LAB = `
tsip link add dpdk0 lladdr ${MAC.dpdk0} mtu 1400
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add 10.0.0.1/16 dev dpdk1
tsip addr add 2001:db8::1/64 dev dpdk1
tsip addr add 192.168.100.1/24 dev dpdk0
tsip addr add fd00:100::1/64 dev dpdk0
tsip neigh add 10.0.0.48 lladdr ${MAC.client} dev dpdk1
tsip neigh add 2001:db8::30 lladdr ${MAC.client} dev dpdk1
tsip neigh add 192.168.100.2 lladdr ${MAC.rs1} dev dpdk0
tsip neigh add fd00:100::2 lladdr ${MAC.rs1} dev dpdk0
tsvs set ipv4_defs.forwarding 1
`;

const inbound = { src: MAC.client, dst: MAC.dpdk1 };
const outbound = { src: MAC.dpdk0, dst: MAC.rs1 };
/** Errors go back to the sender from our address on its side. */
const back = { src: MAC.dpdk1, dst: MAC.client };

const v4 = (mac: { src: string; dst: string }, ttl: number, o: { flags?: string; fragOffset?: number; id?: number; src?: string; dst?: string; proto?: number } = {}) =>
  eth(mac).ipv4({ src: o.src ?? '10.0.0.48', dst: o.dst ?? '192.168.100.2', ttl, id: o.id ?? 0x77, tos: 0x10, flags: o.flags ?? 'DF', fragOffset: o.fragOffset, proto: o.proto });
const v6 = (mac: { src: string; dst: string }, hlim: number) => eth(mac).ipv6({ src: '2001:db8::30', dst: 'fd00:100::2', hlim, tc: 0x10, flowLabel: 0x12345 });
const tcp = (b: PacketBuilder, size: number, hdr: number) => b.tcp({ sport: 40000, dport: 22, flags: 'PA', seq: 1, ack: 1 }).payload('x'.repeat(size - hdr - 20));

test('transit packets leave by the route with TTL / hop limit minus one and a fixed IPv4 checksum', () => {
  converse(LAB, [
    { desc: 'IPv4 client -> server', in: { port: 'dpdk1', frame: tcp(v4(inbound, 64), 100, 20) }, out: [{ port: 'dpdk0', frame: tcp(v4(outbound, 63), 100, 20) }] },
    {
      desc: 'IPv4 server -> client',
      in: { port: 'dpdk0', frame: tcp(v4({ src: MAC.rs1, dst: MAC.dpdk0 }, 2, { src: '192.168.100.2', dst: '10.0.0.48' }), 100, 20) },
      out: [{ port: 'dpdk1', frame: tcp(v4(back, 1, { src: '192.168.100.2', dst: '10.0.0.48' }), 100, 20) }],
    },
    { desc: 'IPv6 client -> server', in: { port: 'dpdk1', frame: tcp(v6(inbound, 64), 100, 40) }, out: [{ port: 'dpdk0', frame: tcp(v6(outbound, 63), 100, 40) }] },
    { desc: 'exactly the egress MTU (1400) passes', in: { port: 'dpdk1', frame: tcp(v4(inbound, 64), 1400, 20) }, out: [{ port: 'dpdk0', frame: tcp(v4(outbound, 63), 1400, 20) }] },
    { desc: 'no route: dropped', in: { port: 'dpdk1', frame: tcp(v4(inbound, 64, { dst: '172.31.0.9' }), 100, 20) }, drop: 'no_route', out: [] },
  ]);
});

test('TTL / hop limit 1: time exceeded back to the sender, quoting its packet as received', () => {
  const p4 = tcp(v4(inbound, 1), 100, 20);
  const p6 = tcp(v6(inbound, 1), 100, 40);
  converse(LAB, [
    {
      desc: 'IPv4 TTL 1',
      in: { port: 'dpdk1', frame: p4 },
      drop: 'ttl_exceeded',
      out: [{ port: 'dpdk1', frame: eth(back).ipv4({ src: '10.0.0.1', dst: '10.0.0.48', ttl: 64, tos: 0xc0, id: 1 }).icmp({ type: 'time-exceeded', code: 0, quote: l3(p4) }) }],
    },
    {
      desc: 'IPv6 hop limit 1',
      in: { port: 'dpdk1', frame: p6 },
      drop: 'ttl_exceeded',
      out: [{ port: 'dpdk1', frame: eth(back).ipv6({ src: '2001:db8::1', dst: '2001:db8::30', hlim: 64 }).icmpv6({ type: 'time-exceeded', code: 0, quote: l3(p6) }) }],
    },
  ]);
});

test('bigger than the egress MTU and may not fragment: frag-needed (IPv4 DF) or packet-too-big (IPv6) with MTU 1400', () => {
  const p4 = tcp(v4(inbound, 64), 1401, 20);
  const p6 = tcp(v6(inbound, 64), 1401, 40);
  converse(LAB, [
    {
      desc: 'IPv4 1401 bytes with DF',
      in: { port: 'dpdk1', frame: p4 },
      drop: 'frag_needed',
      out: [{ port: 'dpdk1', frame: eth(back).ipv4({ src: '10.0.0.1', dst: '10.0.0.48', ttl: 64, tos: 0xc0, id: 1 }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: l3(p4), quoteLen: 576 - 28 }) }],
    },
    {
      desc: 'IPv6 1401 bytes',
      in: { port: 'dpdk1', frame: p6 },
      drop: 'frag_needed',
      out: [{ port: 'dpdk1', frame: eth(back).ipv6({ src: '2001:db8::1', dst: '2001:db8::30', hlim: 64 }).icmpv6({ type: 'packet-too-big', mtu: 1400, quote: l3(p6), quoteLen: 1280 - 48 }) }],
    },
  ]);
});

/**
 * The fragments of `orig` (an IPv4 packet with a 20-byte header) for an MTU: each carries the
 * header with TTL minus one, its slice of the payload (multiples of 8 bytes but the last), its
 * offset, and MF on all but the last, where the original's MF stays (RFC 791).
 */
function fragments(orig: PacketBuilder, mtu: number, o: { id: number; fragOffset?: number; mf?: boolean }): ExactStep['out'] {
  const pkt = l3(orig);
  const payload = pkt.subarray(20);
  const step = Math.floor((mtu - 20) / 8) * 8;
  const out: ExactStep['out'] = [];
  for (let at = 0; at < payload.length; at += step) {
    const last = at + step >= payload.length;
    const flags = !last || o.mf ? 'MF' : '';
    const hdr = eth(outbound).ipv4({ src: '10.0.0.48', dst: '192.168.100.2', ttl: 63, tos: 0x10, id: o.id, flags, fragOffset: (o.fragOffset ?? 0) + at / 8, proto: 6 });
    out.push({ port: 'dpdk0', frame: hdr.raw(payload.subarray(at, Math.min(at + step, payload.length))) });
  }
  return out;
}

test('IPv4 without DF bigger than the egress MTU is fragmented: offsets, MF, TTL, payload slices', () => {
  const p1401 = tcp(v4(inbound, 64, { flags: '', id: 0x101 }), 1401, 20);
  const p3000 = tcp(v4(inbound, 64, { flags: '', id: 0x102 }), 3000, 20);
  // Already a fragment (offset 800, more to come): its pieces keep MF to the end.
  const piece = v4(inbound, 64, { flags: 'MF', fragOffset: 100, id: 0x103, proto: 6 }).raw(new Uint8Array(1600).map((_, i) => i & 255));
  converse(LAB, [
    { desc: '1401 bytes: 1376 + 5 payload bytes', in: { port: 'dpdk1', frame: p1401 }, out: fragments(p1401, 1400, { id: 0x101 }) },
    { desc: '3000 bytes: three fragments', in: { port: 'dpdk1', frame: p3000 }, out: fragments(p3000, 1400, { id: 0x102 }) },
    { desc: 'a fragment re-fragmented', in: { port: 'dpdk1', frame: piece }, out: fragments(piece, 1400, { id: 0x103, fragOffset: 100, mf: true }) },
  ]);
});
