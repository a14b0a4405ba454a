// Tunnel (-i) as in scenario S6: IPIP, IPv6-in-IPv6, GRE and GUE with exact outer headers around a
// byte-identical inner packet (outer TTL, TOS and DF from the inner one), and the MTU check.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth, type PacketBuilder } from '../../support/builder.js';
import { type ExactStep, MAC, converse, exactly, l3, stateOf } from '../../support/exact.js';
import { S6, S6_ADDR, S6_SERVICES } from '../labs.js';

const { cip: CIP, vip: VIP, local: LOCAL, rs1: RS1, rs2: RS2 } = S6_ADDR;

/** The client's packets arrive through the router with TTL 61 and a TOS to copy. */
function fromClient(id: number, df: boolean): PacketBuilder {
  return eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: CIP, dst: VIP, ttl: 61, tos: 0x28, id, flags: df ? 'DF' : '' });
}

/** The outer IPv4 header tsvs writes: its own id counter; TTL, TOS and DF copied from the inner packet. */
function outer4(dstMac: string, rip: string, id: number, df: boolean, proto: number): PacketBuilder {
  return eth({ src: MAC.dpdk0, dst: dstMac }).ipv4({ src: LOCAL, dst: rip, ttl: 61, tos: 0x28, id, flags: df ? 'DF' : '', proto });
}

const syn = (cport: number, dport = 80) => ({ sport: cport, dport, flags: 'S', seq: 4000, options: [{ kind: 'mss' as const, value: 1460 }] });
const ack = (cport: number, dport = 80) => ({ sport: cport, dport, flags: 'A', seq: 4001, ack: 8001 });

test('IPIP: IPv4-in-IPv4 to each scheduled RS, outer src from the route, inner packet untouched', () => {
  const s1 = fromClient(1, true).tcp(syn(42000));
  const s2 = fromClient(2, true).tcp(syn(42001));
  const a1 = fromClient(3, true).tcp(ack(42000));
  const d1 = fromClient(4, false).tcp({ ...ack(42000), flags: 'PA' }).payload('no DF on this one');
  const steps: ExactStep[] = [
    { desc: 'SYN to RS1 (on-link)', in: { port: 'dpdk0', frame: s1 }, out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 1, true, 4).raw(l3(s1)) }] },
    { desc: 'SYN to RS2 (through the default gateway)', in: { port: 'dpdk0', frame: s2 }, out: [{ port: 'dpdk0', frame: outer4(MAC.router, RS2, 2, true, 4).raw(l3(s2)) }] },
    {
      desc: 'ACK to RS1',
      in: { port: 'dpdk0', frame: a1 },
      out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 3, true, 4).raw(l3(a1)) }],
      check: (e) => {
        assert.equal(stateOf(e, 'tcp', CIP, 42000, VIP, 80), 'TCP_EST');
        assert.equal(stateOf(e, 'tcp', CIP, 42001, VIP, 80), 'SYN_RECV');
      },
    },
    { desc: 'data without DF: outer without DF', in: { port: 'dpdk0', frame: d1 }, out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 4, false, 4).raw(l3(d1)) }] },
  ];
  converse(S6, steps);
});

test('IPIP: the route\'s src is the outer source even when another address comes first on the port', () => {
  const reordered = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip addr add ${VIP}/32 dev dpdk0
tsip addr add ${LOCAL}/20 dev dpdk0
${S6_SERVICES}`;
  const s1 = fromClient(1, true).tcp(syn(42000));
  const s2 = fromClient(2, true).tcp(syn(42001));
  converse(reordered, [
    { desc: 'SYN to RS1', in: { port: 'dpdk0', frame: s1 }, out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 1, true, 4).raw(l3(s1)) }] },
    { desc: 'SYN to RS2 by the route with src', in: { port: 'dpdk0', frame: s2 }, out: [{ port: 'dpdk0', frame: outer4(MAC.router, RS2, 2, true, 4).raw(l3(s2)) }] },
  ]);
});

test('GRE: a 4-byte header with protocol 0x0800, or 8 bytes with the checksum (--tun-csum)', () => {
  const g = fromClient(1, true).tcp(syn(42100, 443));
  const gc = fromClient(2, false).tcp(syn(42101, 444));
  converse(S6, [
    { desc: 'GRE', in: { port: 'dpdk0', frame: g }, out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 1, true, 47).gre({ proto: 0x0800 }).raw(l3(g)) }] },
    { desc: 'GRE with checksum', in: { port: 'dpdk0', frame: gc }, out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 2, false, 47).gre({ proto: 0x0800, csum: true }).raw(l3(gc)) }] },
  ]);
});

test('GUE: UDP to --tun-port 6080 from a per-flow source port, a 4-byte GUE header (version 0, proto 4)', () => {
  const q1 = fromClient(1, true).udp({ sport: 5000, dport: 443 }).payload('quic initial');
  const q2 = fromClient(2, true).udp({ sport: 5000, dport: 443 }).payload('quic handshake');
  const GUE = [0x00, 4, 0, 0];
  // The outer UDP source port hashes the inner flow (ECMP entropy); the same flow keeps it.
  const gue = (id: number, inner: PacketBuilder, sport: number) =>
    outer4(MAC.router, RS2, id, true, 17).udp({ sport, dport: 6080, checksum: 0 }).raw(new Uint8Array([...GUE, ...l3(inner)]));
  const first = exactly(gue(1, q1, 0));
  converse(S6, [
    {
      desc: 'first datagram',
      in: { port: 'dpdk0', frame: q1 },
      out: [{ port: 'dpdk0', expect: { ...first, udp: { ...(first.udp as object), sport: () => (p: number) => p >= 0xc000 } } }],
      save: ([d], ctx) => { ctx.guePort = d!.udp!.sport; },
    },
    { desc: 'second datagram of the flow', in: { port: 'dpdk0', frame: q2 }, out: [{ port: 'dpdk0', frame: (ctx) => gue(2, q2, ctx.guePort as number) }] },
  ]);
});

test('IPIP MTU: 1480 bytes with DF still fit; 1481 get frag-needed (MTU 1500 - 20) from the VIP', () => {
  const s1 = fromClient(1, true).tcp(syn(42000));
  const head = (id: number) => fromClient(id, true).tcp({ ...ack(42000), flags: 'PA' });
  const fits = head(2).payload('f'.repeat(1480 - 40));
  const tooBig = head(3).payload('b'.repeat(1481 - 40));
  converse(S6, [
    { desc: 'SYN', in: { port: 'dpdk0', frame: s1 }, out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 1, true, 4).raw(l3(s1)) }] },
    { desc: '1480 bytes: a 1500-byte outer packet', in: { port: 'dpdk0', frame: fits }, out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 2, true, 4).raw(l3(fits)) }] },
    {
      desc: '1481 bytes with DF',
      in: { port: 'dpdk0', frame: tooBig },
      drop: 'tunnel_too_big',
      out: [{
        port: 'dpdk0',
        frame: eth({ src: MAC.dpdk0, dst: MAC.router }).ipv4({ src: VIP, dst: CIP, ttl: 64, tos: 0xc0, id: 1 })
          .icmp({ type: 'dest-unreach', code: 4, mtu: 1480, quote: l3(tooBig), quoteLen: 576 - 28 }),
      }],
    },
  ]);
});

test('IPIP without DF: a 1501-byte outer packet leaves as two outer fragments (1480 + 1 payload bytes)', () => {
  const s1 = fromClient(1, true).tcp(syn(42000));
  const big = fromClient(2, false).tcp({ ...ack(42000), flags: 'PA' }).payload('n'.repeat(1481 - 40));
  const inner = l3(big);
  const frag = (flags: string, fragOffset: number, part: Uint8Array) =>
    eth({ src: MAC.dpdk0, dst: MAC.rs1 }).ipv4({ src: LOCAL, dst: RS1, ttl: 61, tos: 0x28, id: 2, flags, fragOffset, proto: 4 }).raw(part);
  converse(S6, [
    { desc: 'SYN', in: { port: 'dpdk0', frame: s1 }, out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 1, true, 4).raw(l3(s1)) }] },
    {
      desc: '1481 bytes without DF',
      in: { port: 'dpdk0', frame: big },
      out: [
        { port: 'dpdk0', frame: frag('MF', 0, inner.subarray(0, 1480)) },
        { port: 'dpdk0', frame: frag('', 1480 / 8, inner.subarray(1480)) },
      ],
    },
  ]);
});

/** Each encapsulation's overhead comes off the port MTU in the frag-needed a too-big first packet gets. */
const OVERHEAD = [
  { name: 'GRE', overhead: 24, first: (len: number) => fromClient(1, true).tcp(syn(42200, 443)).payload('g'.repeat(len - 44)) },
  { name: 'GRE with checksum', overhead: 28, first: (len: number) => fromClient(1, true).tcp(syn(42200, 444)).payload('c'.repeat(len - 44)) },
  { name: 'GUE', overhead: 32, first: (len: number) => fromClient(1, true).udp({ sport: 5000, dport: 443 }).payload('u'.repeat(len - 28)) },
];

for (const o of OVERHEAD) {
  test(`${o.name} MTU: a DF packet over 1500 - ${o.overhead} bytes gets frag-needed with MTU ${1500 - o.overhead}`, () => {
    const big = o.first(1500 - o.overhead + 1);
    converse(S6, [{
      desc: `${o.name}: ${1500 - o.overhead + 1} bytes with DF`,
      in: { port: 'dpdk0', frame: big },
      drop: 'tunnel_too_big',
      out: [{
        port: 'dpdk0',
        frame: eth({ src: MAC.dpdk0, dst: MAC.router }).ipv4({ src: VIP, dst: CIP, ttl: 64, tos: 0xc0, id: 1 })
          .icmp({ type: 'dest-unreach', code: 4, mtu: 1500 - o.overhead, quote: l3(big), quoteLen: 576 - 28 }),
      }],
    }]);
  });
}

// ---- IPv6 in IPv6 ----

const CIP6 = '2001:db8:85::23';
const VIP6 = '2001:db8:31::48';
const LOCAL6 = 'fd00:140:16::48';
const RS6 = 'fd00:140:16::33';
const S6_V6 = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip addr add ${LOCAL6}/64 dev dpdk0
tsip addr add ${VIP6}/128 dev dpdk0
tsip route add default via fd00:140:16::fe src ${LOCAL6} dev dpdk0
tsip neigh add fd00:140:16::fe lladdr ${MAC.router} dev dpdk0
tsip neigh add ${RS6} lladdr ${MAC.rs1} dev dpdk0
tsvsadm -A -t [${VIP6}]:80 -s rr
tsvsadm -a -t [${VIP6}]:80 -r [${RS6}] -i
`;

const fromClient6 = () => eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv6({ src: CIP6, dst: VIP6, hlim: 61, tc: 0x28, flowLabel: 0x5eed5 });
/** The outer IPv6 header: next header 41, traffic class, flow label and hop limit of the inner one (DPVS copies ip6_flow). */
const outer6 = () => eth({ src: MAC.dpdk0, dst: MAC.rs1 }).ipv6({ src: LOCAL6, dst: RS6, hlim: 61, tc: 0x28, flowLabel: 0x5eed5, nextHeader: 41 });

test('IP6IP6: IPv6-in-IPv6 (next header 41) with the inner packet untouched; too big -> packet-too-big MTU 1460', () => {
  const s = fromClient6().tcp(syn(43000));
  const head = fromClient6().tcp({ ...ack(43000), flags: 'PA' });
  const fits = head.payload('f'.repeat(1460 - 60));
  const tooBig = head.payload('b'.repeat(1461 - 60));
  converse(S6_V6, [
    { desc: 'SYN', in: { port: 'dpdk0', frame: s }, out: [{ port: 'dpdk0', frame: outer6().raw(l3(s)) }] },
    { desc: '1460 bytes: a 1500-byte outer packet', in: { port: 'dpdk0', frame: fits }, out: [{ port: 'dpdk0', frame: outer6().raw(l3(fits)) }] },
    {
      desc: '1461 bytes',
      in: { port: 'dpdk0', frame: tooBig },
      drop: 'tunnel_too_big',
      out: [{
        port: 'dpdk0',
        frame: eth({ src: MAC.dpdk0, dst: MAC.router }).ipv6({ src: VIP6, dst: CIP6, hlim: 64 })
          .icmpv6({ type: 'packet-too-big', mtu: 1460, quote: l3(tooBig), quoteLen: 1280 - 48 }),
      }],
    },
  ]);
});


// ---- whole conversations: only the client's half passes through tsvs (INPUT-ONLY states) ----

const REQ = 'GET / HTTP/1.1\r\nHost: vip\r\n\r\n';
/** Client segments of a conversation and the state after each (the RS answers the client directly). */
const CONVERSATION = [
  { desc: 'SYN', tcp: { flags: 'S', seq: 7000, options: [{ kind: 'mss' as const, value: 1460 }, { kind: 'sackok' as const }] }, state: 'SYN_RECV' },
  { desc: 'handshake ACK', tcp: { flags: 'A', seq: 7001, ack: 90001 }, state: 'TCP_EST' },
  { desc: 'request', tcp: { flags: 'PA', seq: 7001, ack: 90001 }, data: REQ, state: 'TCP_EST' },
  { desc: 'ACK of the response', tcp: { flags: 'A', seq: 7001 + REQ.length, ack: 95001 }, state: 'TCP_EST' },
  { desc: 'FIN', tcp: { flags: 'FA', seq: 7001 + REQ.length, ack: 95001 }, state: 'FIN_WAIT' },
  { desc: 'last ACK', tcp: { flags: 'A', seq: 7002 + REQ.length, ack: 95002 }, state: 'FIN_WAIT' },
];
const RESET = [
  { desc: 'SYN', tcp: { flags: 'S', seq: 500 }, state: 'SYN_RECV' },
  { desc: 'ACK', tcp: { flags: 'A', seq: 501, ack: 3001 }, state: 'TCP_EST' },
  { desc: 'RST', tcp: { flags: 'R', seq: 501, win: 0 }, state: 'TCP_CLOSE' },
];

for (const fam of [
  { name: 'IPIP', v6: false, config: S6, client: (id: number) => fromClient(id, true), out: (id: number) => outer4(MAC.rs1, RS1, id, true, 4), cip: CIP, vip: VIP },
  { name: 'IP6IP6', v6: true, config: S6_V6, client: () => fromClient6(), out: () => outer6(), cip: CIP6, vip: VIP6 },
]) {
  test(`${fam.name}: a whole TCP conversation and a reset, each segment encapsulated untouched, states from the client's half`, () => {
    // With S6's rr over two RS, the first connection goes to RS1 and the second to RS2 (IPv4).
    const seg = (cport: number, id: number, s: { desc: string; tcp: object; data?: string; state: string }, to: PacketBuilder): ExactStep => {
      const input = fam.client(id).tcp({ sport: cport, dport: 80, ...s.tcp }).payload(s.data ?? '');
      return {
        desc: `${fam.name} ${cport} ${s.desc}`,
        in: { port: 'dpdk0', frame: input },
        out: [{ port: 'dpdk0', frame: to.raw(l3(input)) }],
        check: (e) => assert.equal(stateOf(e, 'tcp', fam.cip, cport, fam.vip, 80), s.state, `${s.desc}: state`),
      };
    };
    let id = 10;
    const steps = CONVERSATION.map((s) => { id++; return seg(44000, id, s, fam.out(id - 10)); });
    const second = fam.v6 ? (n: number) => fam.out(n) : (n: number) => outer4(MAC.router, RS2, n, true, 4);
    for (const s of RESET) { id++; steps.push(seg(44001, id, s, second(id - 10))); }
    converse(fam.config, steps);
  });
}

test('IPIP: a UDP exchange: the query is encapsulated (UDP_ONEWAY); the answer goes straight to the client', () => {
  const q = fromClient(1, false).udp({ sport: 5300, dport: 53 }).payload('who is vip?');
  converse(S6, [{
    desc: 'query',
    in: { port: 'dpdk0', frame: q },
    out: [{ port: 'dpdk0', frame: outer4(MAC.rs1, RS1, 1, false, 4).raw(l3(q)) }],
    check: (e) => assert.equal(stateOf(e, 'udp', CIP, 5300, VIP, 53), 'UDP_ONEWAY'),
  }]);
});
