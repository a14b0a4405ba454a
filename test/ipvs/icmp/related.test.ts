// ICMP errors about a connection: from the RS side translated back to the client, from the client
// side translated (NAT/FullNAT) or forwarded (DR/tunnel) to the RS; NAT64 ones translated
// between ICMPv4 and ICMPv6; unknown ones.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth, type IcmpOpts, type PacketBuilder } from '../../support/builder.js';
import { type Expect, engineFrom } from '../../support/fixture.js';
import { dissect } from '../../support/dissect.js';
import { MAC, destStats, exactStep, l3, reframe } from '../../support/exact.js';
import { S5, S5_V6, S6, S6_ADDR } from '../labs.js';

/** Two-arm labs with the real server behind a router, so routers can complain about our packets. */
interface Lab {
  name: string;
  config: string;
  v6: boolean;
  cip: string;
  vip: string;
  /** The source of what tsvs sends the RS: the LIP (FullNAT) or the client (NAT). */
  rsSrc: string;
  rip: string;
  router: string;
}

interface TwoArm {
  /** Addresses of dpdk1 (client side) and dpdk0 (RS side). */
  wan: string;
  lan: string;
  rsNet: string;
  router: string;
  cip: string;
  vip: string;
  rip: string;
  /** FullNAT's local address; NAT when absent. */
  lip?: string;
}

/** TCP VIP:80 -> RIP:8080 and UDP VIP:53 -> RIP:5353, the RS's network behind `router`. */
function twoArm(name: string, o: TwoArm): Lab {
  const b = (a: string) => (a.includes(':') ? `[${a}]` : a);
  const fwd = o.lip ? '-b' : '-m';
  const laddr = (svc: string) => (o.lip ? `tsvsadm --add-laddr -z ${o.lip} ${svc} -F dpdk0\n` : '');
  const config = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add ${o.wan} dev dpdk1
tsip addr add ${o.lan} dev dpdk0
tsip route add ${o.rsNet} via ${o.router} dev dpdk0
tsip neigh add ${o.cip} lladdr ${MAC.client} dev dpdk1
tsip neigh add ${o.router} lladdr ${MAC.router} dev dpdk0
tsvsadm -A -t ${b(o.vip)}:80 -s rr
tsvsadm -a -t ${b(o.vip)}:80 -r ${b(o.rip)}:8080 ${fwd}
${laddr(`-t ${b(o.vip)}:80`)}tsvsadm -A -u ${b(o.vip)}:53 -s rr
tsvsadm -a -u ${b(o.vip)}:53 -r ${b(o.rip)}:5353 ${fwd}
${laddr(`-u ${b(o.vip)}:53`)}`;
  return { name, config, v6: o.cip.includes(':'), cip: o.cip, vip: o.vip, rsSrc: o.lip ?? o.cip, rip: o.rip, router: o.router };
}

const FNAT4 = twoArm('FullNAT IPv4', {
  wan: '10.0.0.1/16', lan: '192.168.100.1/24', rsNet: '172.16.50.0/24', router: '192.168.100.254',
  cip: '10.0.0.48', vip: '10.0.0.100', rip: '172.16.50.2', lip: '192.168.100.200',
});
const NAT4 = twoArm('NAT IPv4', {
  wan: '192.168.0.66/24', lan: '10.140.31.48/20', rsNet: '10.150.0.0/16', router: '10.140.31.254',
  cip: '192.168.0.46', vip: '192.168.0.89', rip: '10.150.18.33',
});
const FNAT6 = twoArm('FullNAT IPv6', {
  wan: '2001:db8::1/64', lan: 'fd00:100::1/64', rsNet: 'fd00:50::/64', router: 'fd00:100::fe',
  cip: '2001:db8::30', vip: '2001:db8::100', rip: 'fd00:50::2', lip: 'fd00:100::200',
});
const NAT6 = twoArm('NAT IPv6', {
  wan: '2001:db8::66/64', lan: 'fd00:140::48/64', rsNet: 'fd00:150::/64', router: 'fd00:140::fe',
  cip: '2001:db8::46', vip: '2001:db8::89', rip: 'fd00:150::33',
});

interface IcmpErr {
  type: 'dest-unreach' | 'time-exceeded' | 'packet-too-big';
  code?: number;
  mtu?: number;
}

/** The ICMP or ICMPv6 layer of an error quoting `quote` (its first quoteLen bytes if given). */
function withIcmp(v6: boolean, b: PacketBuilder, e: IcmpErr, quote: Uint8Array, quoteLen?: number): PacketBuilder {
  return v6 ? b.icmpv6({ ...e, quote, quoteLen }) : b.icmp({ ...e, type: e.type as IcmpOpts['type'], quote, quoteLen });
}

/** An IP header in the lab's family; ICMP errors carry TOS 0xc0 and their own TTL and id. */
function ip(v6: boolean, b: PacketBuilder, src: string, dst: string, ttl: number, id: number, df = true): PacketBuilder {
  return v6 ? b.ipv6({ src, dst, hlim: ttl }) : b.ipv4({ src, dst, ttl, id, flags: df ? 'DF' : '' });
}

function icmpErr(v6: boolean, b: PacketBuilder, src: string, dst: string, e: IcmpErr, quote: Uint8Array, quoteLen?: number): PacketBuilder {
  return withIcmp(v6, v6 ? b.ipv6({ src, dst, hlim: 254 }) : b.ipv4({ src, dst, ttl: 254, tos: 0xc0, id: 0x4242 }), e, quote, quoteLen);
}

const fromClient = (lab: Lab, id: number) => ip(lab.v6, eth({ src: MAC.client, dst: MAC.dpdk1 }), lab.cip, lab.vip, 60, id);
const ipKey = (lab: Lab) => (lab.v6 ? 'ipv6' : 'ipv4');
/** What must reach the RS side: addressed from rsSrc to the RS, through the router. */
const towardsRs = (lab: Lab): Expect => ({ eth: { src: MAC.dpdk0, dst: MAC.router }, [ipKey(lab)]: { src: lab.rsSrc, dst: lab.rip } });
const towardsClient = (lab: Lab): Expect => ({ eth: { src: MAC.dpdk1, dst: MAC.client }, [ipKey(lab)]: { src: lab.vip, dst: lab.cip } });

const portUnreach = (v6: boolean): IcmpErr => (v6 ? { type: 'dest-unreach', code: 4 } : { type: 'dest-unreach', code: 3 });

interface RsSideCase {
  desc: string;
  labs: Lab[];
  /** UDP (the dest of the UDP service) rather than TCP. */
  udp?: boolean;
  first: (lab: Lab) => PacketBuilder;
  err: (v6: boolean) => IcmpErr;
  /** Bytes of our packet the router quotes (all of it when absent). */
  quoteLen?: number;
}

const SYN = { sport: 41000, dport: 80, flags: 'S', seq: 1000, options: [{ kind: 'mss' as const, value: 1460 }] };

const RS_SIDE: RsSideCase[] = [
  { desc: 'time exceeded on the way to the RS, quoting our whole SYN', labs: [FNAT4, NAT4, FNAT6, NAT6], first: (lab) => fromClient(lab, 1).tcp(SYN), err: () => ({ type: 'time-exceeded', code: 0 }) },
  { desc: 'frag-needed (MTU 1400) quoting the first 28 bytes', labs: [FNAT4, NAT4], first: (lab) => fromClient(lab, 2).tcp(SYN), err: () => ({ type: 'dest-unreach', code: 4, mtu: 1400 }), quoteLen: 28 },
  { desc: 'packet-too-big (MTU 1280) quoting our SYN', labs: [FNAT6, NAT6], first: (lab) => fromClient(lab, 3).tcp(SYN), err: () => ({ type: 'packet-too-big', mtu: 1280 }) },
  { desc: 'port unreachable for our UDP datagram', labs: [FNAT4, NAT4, FNAT6, NAT6], udp: true, first: (lab) => fromClient(lab, 4).udp({ sport: 33000, dport: 53 }).payload('query'), err: portUnreach },
];

for (const c of RS_SIDE) {
  for (const lab of c.labs) {
    test(`${lab.name}, RS side: ${c.desc} -> the client, from the VIP, about CIP:cport -> VIP:vport`, () => {
      const conv = engineFrom(lab.config);
      const first = c.first(lab);
      const [sent] = exactStep(conv, { desc: 'client packet', in: { port: 'dpdk1', frame: first }, out: [{ port: 'dpdk0', expect: towardsRs(lab) }] });
      // The router tells our packet's source (the LIP, or the client for NAT), quoting what it got.
      const err = c.err(lab.v6);
      exactStep(conv, {
        desc: c.desc,
        in: { port: 'dpdk0', frame: icmpErr(lab.v6, eth({ src: MAC.router, dst: MAC.dpdk0 }), lab.router, lab.rsSrc, err, sent!.data.subarray(14), c.quoteLen) },
        out: [{ port: 'dpdk1', frame: icmpErr(lab.v6, eth({ src: MAC.dpdk1, dst: MAC.client }), lab.vip, lab.cip, err, l3(first), c.quoteLen) }],
      });
      assert.equal(destStats(conv.engine, c.udp ? 1 : 0).outPkts, 1, 'the error counts as an outgoing packet of the dest');
    });
  }
}

test('FullNAT IPv4, RS side: frag-needed about a data segment that carried the TOA: inner length keeps the TOA', () => {
  const lab = FNAT4;
  const conv = engineFrom(lab.config);
  const [syn] = exactStep(conv, { desc: 'SYN', in: { port: 'dpdk1', frame: fromClient(lab, 1).tcp(SYN) }, out: [{ port: 'dpdk0', expect: towardsRs(lab) }] });
  const { sport: lport, seq: rsSeqBase } = dissect(syn!.data).tcp!;
  assert.notEqual(rsSeqBase, 1000, 'FullNAT shifts the client\'s sequence numbers');
  const fromRs = eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: lab.rip, dst: lab.rsSrc, ttl: 62, id: 9 })
    .tcp({ sport: 8080, dport: lport, flags: 'SA', seq: 7000, ack: (rsSeqBase! + 1) >>> 0, options: [{ kind: 'mss', value: 1460 }] });
  exactStep(conv, { desc: 'SYN-ACK', in: { port: 'dpdk0', frame: fromRs }, out: [{ port: 'dpdk1', expect: { ...towardsClient(lab), tcp: { ack: 1001, flags: 'SA' } } }] });
  exactStep(conv, {
    desc: 'handshake ACK',
    in: { port: 'dpdk1', frame: fromClient(lab, 2).tcp({ sport: 41000, dport: 80, flags: 'A', seq: 1001, ack: 7001 }) },
    out: [{ port: 'dpdk0', expect: { ...towardsRs(lab), tcp: { options: [{ kind: 'toa', port: 41000, addr: lab.cip }] } } }],
  });
  const data = fromClient(lab, 3).tcp({ sport: 41000, dport: 80, flags: 'PA', seq: 1001, ack: 7001 }).payload('d'.repeat(1000));
  const [sent] = exactStep(conv, {
    desc: 'first data, with the TOA',
    in: { port: 'dpdk1', frame: data },
    out: [{ port: 'dpdk0', expect: { ...towardsRs(lab), ipv4: { totalLength: 1048 }, tcp: { options: [{ kind: 'toa', port: 41000, addr: lab.cip }] } } }],
  });
  // Translated back, the quote is our segment as sent: the client's header fields, the grown length.
  const inner = eth().ipv4({ src: lab.cip, dst: lab.vip, ttl: 60, id: 3, flags: 'DF', proto: 6, totalLength: 1048 }).raw(l3(data).subarray(20, 28));
  const mtu: IcmpErr = { type: 'dest-unreach', code: 4, mtu: 1200 };
  exactStep(conv, {
    desc: 'frag-needed quoting 28 bytes',
    in: { port: 'dpdk0', frame: icmpErr(false, eth({ src: MAC.router, dst: MAC.dpdk0 }), lab.router, lab.rsSrc, mtu, sent!.data.subarray(14), 28) },
    out: [{ port: 'dpdk1', frame: icmpErr(false, eth({ src: MAC.dpdk1, dst: MAC.client }), lab.vip, lab.cip, mtu, l3(inner)) }],
  });
});

for (const lab of [FNAT4, NAT4, FNAT6, NAT6]) {
  test(`${lab.name}, client side: port unreachable about our UDP reply -> the RS, about RIP:rport -> ${lab.rsSrc === lab.cip ? 'CIP:cport' : 'LIP:lport'}`, () => {
    const conv = engineFrom(lab.config);
    const [sent] = exactStep(conv, {
      desc: 'query', in: { port: 'dpdk1', frame: fromClient(lab, 1).udp({ sport: 33000, dport: 53 }).payload('query') }, out: [{ port: 'dpdk0', expect: towardsRs(lab) }],
    });
    const lport = dissect(sent!.data).udp!.sport;
    const reply = ip(lab.v6, eth({ src: MAC.router, dst: MAC.dpdk0 }), lab.rip, lab.rsSrc, 62, 77).udp({ sport: 5353, dport: lport }).payload('answer');
    const [back] = exactStep(conv, { desc: 'reply', in: { port: 'dpdk0', frame: reply }, out: [{ port: 'dpdk1', expect: { ...towardsClient(lab), udp: { sport: 53, dport: 33000 } } }] });
    // The client's socket is gone: its ICMP goes to the VIP; the RS must get it about what it sent.
    const err = portUnreach(lab.v6);
    const clientErr = (b: PacketBuilder, src: string, dst: string, quote: Uint8Array) => withIcmp(lab.v6, ip(lab.v6, b, src, dst, 60, 5, false), err, quote);
    exactStep(conv, {
      desc: 'client port unreachable',
      in: { port: 'dpdk1', frame: clientErr(eth({ src: MAC.client, dst: MAC.dpdk1 }), lab.cip, lab.vip, back!.data.subarray(14)) },
      out: [{ port: 'dpdk0', frame: clientErr(eth({ src: MAC.dpdk0, dst: MAC.router }), lab.rsSrc, lab.rip, l3(reply)) }],
    });
    assert.equal(destStats(conv.engine, 1).inPkts, 2, 'query and error count as incoming packets of the dest');
  });
}

for (const lab of [FNAT4, FNAT6]) {
  test(`${lab.name}, client side: an error quoting our SYN-ACK reaches the RS quoting the SYN-ACK it sent (ack shifted back)`, () => {
    const conv = engineFrom(lab.config);
    const [sent] = exactStep(conv, { desc: 'SYN', in: { port: 'dpdk1', frame: fromClient(lab, 1).tcp(SYN) }, out: [{ port: 'dpdk0', expect: towardsRs(lab) }] });
    const out = dissect(sent!.data).tcp!;
    const synAck = ip(lab.v6, eth({ src: MAC.router, dst: MAC.dpdk0 }), lab.rip, lab.rsSrc, 62, 8).tcp({ sport: 8080, dport: out.sport, flags: 'SA', seq: 7000, ack: (out.seq! + 1) >>> 0 });
    const [back] = exactStep(conv, { desc: 'SYN-ACK', in: { port: 'dpdk0', frame: synAck }, out: [{ port: 'dpdk1', expect: { ...towardsClient(lab), tcp: { sport: 80, dport: SYN.sport, ack: SYN.seq + 1 } } }] });
    const err: IcmpErr = lab.v6 ? { type: 'time-exceeded', code: 0 } : { type: 'time-exceeded', code: 0 };
    const e = (b: PacketBuilder, src: string, dst: string, quote: Uint8Array) => withIcmp(lab.v6, ip(lab.v6, b, src, dst, 60, 5, false), err, quote);
    exactStep(conv, {
      desc: 'time exceeded about the SYN-ACK, from the client side',
      in: { port: 'dpdk1', frame: e(eth({ src: MAC.client, dst: MAC.dpdk1 }), lab.cip, lab.vip, back!.data.subarray(14)) },
      // Byte for byte the SYN-ACK the RS sent (MSS untouched: it had none), from the LIP to the RS.
      out: [{ port: 'dpdk0', frame: e(eth({ src: MAC.dpdk0, dst: MAC.router }), lab.rsSrc, lab.rip, l3(synAck)) }],
    });
  });
}

// ---- DR and tunnel: errors from the client are the RS's business, forwarded like its packets ----

for (const lab of [S5, S5_V6]) {
  test(`DR ${lab.name}, client side: port unreachable about the RS's direct reply -> the RS, MAC changed only`, () => {
    const conv = engineFrom(lab.config);
    const query = ip(lab.v6, eth({ src: MAC.client, dst: MAC.dpdk0 }), lab.cip, lab.vip, 60, 1).udp({ sport: 33000, dport: 53 }).payload('query');
    exactStep(conv, { desc: 'query', in: { port: 'dpdk0', frame: query }, out: [{ port: 'dpdk0', frame: reframe(MAC.dpdk0, MAC.rs1, l3(query)) }] });
    const reply = ip(lab.v6, eth(), lab.vip, lab.cip, 64, 2).udp({ sport: 53, dport: 33000 }).payload('answer');
    const icmp = withIcmp(lab.v6, ip(lab.v6, eth({ src: MAC.client, dst: MAC.dpdk0 }), lab.cip, lab.vip, 60, 3, false), portUnreach(lab.v6), l3(reply));
    exactStep(conv, { desc: 'client port unreachable', in: { port: 'dpdk0', frame: icmp }, out: [{ port: 'dpdk0', frame: reframe(MAC.dpdk0, MAC.rs1, l3(icmp)) }] });
  });
}

test('Tunnel IPv4, client side: port unreachable about the RS\'s direct reply -> IPIP to the RS', () => {
  const { cip, vip, local, rs1 } = S6_ADDR;
  const conv = engineFrom(S6);
  const outer = (id: number, ttl: number, df: boolean) =>
    eth({ src: MAC.dpdk0, dst: MAC.rs1 }).ipv4({ src: local, dst: rs1, ttl, id, flags: df ? 'DF' : '', proto: 4 });
  const query = eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: cip, dst: vip, ttl: 60, id: 1, flags: 'DF' }).udp({ sport: 33000, dport: 53 }).payload('query');
  exactStep(conv, { desc: 'query', in: { port: 'dpdk0', frame: query }, out: [{ port: 'dpdk0', frame: outer(1, 60, true).raw(l3(query)) }] });
  const reply = eth().ipv4({ src: vip, dst: cip, id: 2 }).udp({ sport: 53, dport: 33000 }).payload('answer');
  const icmp = eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: cip, dst: vip, ttl: 59, id: 3 }).icmp({ type: 'dest-unreach', code: 3, quote: l3(reply) });
  exactStep(conv, { desc: 'client port unreachable', in: { port: 'dpdk0', frame: icmp }, out: [{ port: 'dpdk0', frame: outer(2, 59, false).raw(l3(icmp)) }] });
});

test('DR IPv4, RS side: an RS\'s error to the client matches no reply tuple (DR keeps none): not IPVS\'s', () => {
  const conv = engineFrom(S5.config);
  const query = ip(false, eth({ src: MAC.client, dst: MAC.dpdk0 }), S5.cip, S5.vip, 60, 1).udp({ sport: 33000, dport: 53 }).payload('query');
  exactStep(conv, { desc: 'query', in: { port: 'dpdk0', frame: query }, out: [{ port: 'dpdk0', frame: reframe(MAC.dpdk0, MAC.rs1, l3(query)) }] });
  const unreach = withIcmp(false, ip(false, eth({ src: MAC.rs1, dst: MAC.dpdk0 }), S5.rs1, S5.cip, 64, 9, false), portUnreach(false), l3(query));
  exactStep(conv, { desc: 'RS port unreachable to the client, via tsvs', in: { port: 'dpdk0', frame: unreach }, out: [{ port: 'dpdk0', kernel: true, frame: unreach }] });
});

test('Tunnel IPv4, RS side: frag-needed about our IPIP packet -> frag-needed to the client with MTU - 20', () => {
  const { cip, vip, local, rs2, gw } = S6_ADDR;
  const conv = engineFrom(S6);
  const syn = eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: cip, dst: vip, ttl: 60, id: 1, flags: 'DF' }).tcp({ ...SYN, dport: 80 });
  const syn2 = eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: cip, dst: vip, ttl: 60, id: 2, flags: 'DF' }).tcp({ ...SYN, sport: 41001, dport: 80 });
  exactStep(conv, { desc: 'first SYN (to RS1)', in: { port: 'dpdk0', frame: syn }, out: [{ port: 'dpdk0', expect: { ipv4: { dst: S6_ADDR.rs1 } } }] });
  const [sent] = exactStep(conv, { desc: 'second SYN (to RS2, behind the gateway)', in: { port: 'dpdk0', frame: syn2 }, out: [{ port: 'dpdk0', expect: { ipv4: { src: local, dst: rs2, proto: 4 } } }] });
  const mtu: IcmpErr = { type: 'dest-unreach', code: 4, mtu: 1400 };
  exactStep(conv, {
    desc: 'the gateway cannot forward our 1400+ byte tunnel packets',
    in: { port: 'dpdk0', frame: icmpErr(false, eth({ src: MAC.router, dst: MAC.dpdk0 }), gw, local, mtu, sent!.data.subarray(14)) },
    out: [{
      port: 'dpdk0',
      frame: eth({ src: MAC.dpdk0, dst: MAC.router }).ipv4({ src: vip, dst: cip, ttl: 64, tos: 0xc0, id: 1 }).icmp({ type: 'dest-unreach', code: 4, mtu: 1380, quote: l3(syn2) }),
    }],
  });
});

for (const t of [
  { name: 'GRE', dport: 443, proto: 47, overhead: 24, udp: false },
  { name: 'GRE with checksum', dport: 444, proto: 47, overhead: 28, udp: false },
  { name: 'GUE', dport: 443, proto: 17, overhead: 32, udp: true },
]) {
  test(`Tunnel ${t.name}, RS side: frag-needed about our packet -> frag-needed to the client with MTU - ${t.overhead}`, () => {
    const { cip, vip, local, gw } = S6_ADDR;
    const conv = engineFrom(S6);
    const base = eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: cip, dst: vip, ttl: 60, id: 3, flags: 'DF' });
    const req = t.udp ? base.udp({ sport: 41002, dport: t.dport }).payload('q') : base.tcp({ ...SYN, sport: 41002, dport: t.dport });
    const [sent] = exactStep(conv, { desc: 'client packet, encapsulated', in: { port: 'dpdk0', frame: req }, out: [{ port: 'dpdk0', expect: { ipv4: { src: local, proto: t.proto } } }] });
    exactStep(conv, {
      desc: 'the gateway says 1400 is too big',
      in: { port: 'dpdk0', frame: icmpErr(false, eth({ src: MAC.router, dst: MAC.dpdk0 }), gw, local, { type: 'dest-unreach', code: 4, mtu: 1400 }, sent!.data.subarray(14)) },
      out: [{
        port: 'dpdk0',
        frame: eth({ src: MAC.dpdk0, dst: MAC.router }).ipv4({ src: vip, dst: cip, ttl: 64, tos: 0xc0, id: 1 }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400 - t.overhead, quote: l3(req) }),
      }],
    });
  });
}

test('Tunnel, RS side: an error other than "too big" about our tunnel packet is not IPVS\'s (kernel)', () => {
  const { cip, vip, local, gw } = S6_ADDR;
  const conv = engineFrom(S6);
  const syn = eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: cip, dst: vip, ttl: 60, id: 4, flags: 'DF' }).tcp({ ...SYN, sport: 41003, dport: 80 });
  const [sent] = exactStep(conv, { desc: 'SYN, encapsulated', in: { port: 'dpdk0', frame: syn }, out: [{ port: 'dpdk0', expect: { ipv4: { src: local, proto: 4 } } }] });
  const err = icmpErr(false, eth({ src: MAC.router, dst: MAC.dpdk0 }), gw, local, { type: 'time-exceeded' }, sent!.data.subarray(14));
  exactStep(conv, { desc: 'time exceeded about the IPIP packet', in: { port: 'dpdk0', frame: err }, out: [{ port: 'dpdk0', kernel: true, frame: err }] });
});

// ---- not a connection's ----

test('An ICMP error quoting no connection is not IPVS\'s: to an interface address -> kernel, to a VIP -> dropped, transit -> kernel', () => {
  const lab = FNAT4;
  const stray = ip(false, eth(), lab.rsSrc, lab.rip, 64, 1).udp({ sport: 5555, dport: 5353 }).payload('old');
  const err = (dst: string) => icmpErr(false, eth({ src: MAC.router, dst: MAC.dpdk0 }), lab.router, dst, portUnreach(false), l3(stray));
  const conv = engineFrom(lab.config);
  for (const s of [
    { desc: 'to the LAN address 192.168.100.1', dst: '192.168.100.1', kernel: true },
    { desc: 'to the LIP (no connection on that port)', dst: lab.rsSrc, drop: 'no_service' },
    { desc: 'to the VIP', dst: lab.vip, drop: 'no_service' },
    { desc: 'to another host (forwarding off)', dst: '192.168.100.77', kernel: true },
  ]) {
    exactStep(conv, { desc: s.desc, in: { port: 'dpdk0', frame: err(s.dst) }, drop: s.drop, out: s.kernel ? [{ port: 'dpdk0', kernel: true, frame: err(s.dst) }] : [] });
  }
});

test('An ICMP error about a connection with a bad ICMP checksum is dropped as icmp_malformed', () => {
  const lab = NAT4;
  const conv = engineFrom(lab.config);
  const [sent] = exactStep(conv, { desc: 'SYN', in: { port: 'dpdk1', frame: fromClient(lab, 1).tcp(SYN) }, out: [{ port: 'dpdk0', expect: towardsRs(lab) }] });
  const bad = eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: lab.router, dst: lab.cip, ttl: 254 }).icmp({ type: 'time-exceeded', quote: sent!.data.subarray(14), badChecksum: true });
  exactStep(conv, { desc: 'time exceeded, bad checksum', in: { port: 'dpdk0', frame: bad }, drop: 'icmp_malformed', out: [] });
});

test('NAT64 (FullNAT IPv6 VIP, IPv4 RS): related ICMP is translated between ICMPv4 and ICMPv6 (RFC 7915), quote included', () => {
  const config = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add 2001:db8::1/64 dev dpdk1
tsip addr add 192.168.100.1/24 dev dpdk0
tsip route add 172.16.50.0/24 via 192.168.100.254 dev dpdk0
tsip neigh add 2001:db8::30 lladdr ${MAC.client} dev dpdk1
tsip neigh add 192.168.100.254 lladdr ${MAC.router} dev dpdk0
tsvsadm -A -t [2001:db8::100]:80 -s rr
tsvsadm -a -t [2001:db8::100]:80 -r 172.16.50.2:8080 -b
tsvsadm --add-laddr -z 192.168.100.200 -t [2001:db8::100]:80 -F dpdk0
`;
  const conv = engineFrom(config);
  const syn = eth({ src: MAC.client, dst: MAC.dpdk1 }).ipv6({ src: '2001:db8::30', dst: '2001:db8::100', hlim: 60 }).tcp(SYN);
  const [sent] = exactStep(conv, { desc: 'SYN over IPv6', in: { port: 'dpdk1', frame: syn }, out: [{ port: 'dpdk0', expect: { ipv4: { src: '192.168.100.200', dst: '172.16.50.2' } } }] });
  const toClient = (e: IcmpOpts) => eth({ src: MAC.dpdk1, dst: MAC.client }).ipv6({ src: '2001:db8::100', dst: '2001:db8::30', hlim: 64 }).icmpv6({ ...e, quote: l3(syn) } as never);
  const fromRsSide = (e: IcmpErr) => icmpErr(false, eth({ src: MAC.router, dst: MAC.dpdk0 }), '192.168.100.254', '192.168.100.200', e, sent!.data.subarray(14));
  for (const c of [
    { desc: 'ICMPv4 time exceeded -> ICMPv6 time exceeded', in: { type: 'time-exceeded', code: 0 }, out: { type: 'time-exceeded', code: 0 } },
    { desc: 'ICMPv4 frag-needed 1400 -> ICMPv6 packet too big 1420', in: { type: 'dest-unreach', code: 4, mtu: 1400 }, out: { type: 'packet-too-big', mtu: 1420 } },
    { desc: 'ICMPv4 port unreachable -> ICMPv6 port unreachable', in: { type: 'dest-unreach', code: 3 }, out: { type: 'dest-unreach', code: 4 } },
    { desc: 'ICMPv4 host unreachable -> ICMPv6 no route', in: { type: 'dest-unreach', code: 1 }, out: { type: 'dest-unreach', code: 0 } },
  ] as const) {
    // The client sees its own SYN quoted, as it sent it: addresses, ports and sequence restored.
    exactStep(conv, { desc: c.desc, in: { port: 'dpdk0', frame: fromRsSide(c.in as IcmpErr) }, out: [{ port: 'dpdk1', frame: toClient(c.out as IcmpOpts) }] });
  }
  exactStep(conv, { desc: 'an ICMPv4 redirect-like type is not translated', in: { port: 'dpdk0', frame: fromRsSide({ type: 'dest-unreach', code: 2 }) }, drop: 'unsupported', out: [] });
  const lport = dissect(sent!.data).tcp!.sport;
  const synAck = eth({ src: MAC.router, dst: MAC.dpdk0 }).ipv4({ src: '172.16.50.2', dst: '192.168.100.200', ttl: 63, id: 9, flags: 'DF' }).tcp({ sport: 8080, dport: lport, flags: 'SA', seq: 5, ack: 1 });
  const [back] = exactStep(conv, { desc: 'SYN-ACK back over IPv6', in: { port: 'dpdk0', frame: synAck }, out: [{ port: 'dpdk1', expect: { ipv6: { src: '2001:db8::100', dst: '2001:db8::30' } } }] });
  const fromClient6 = (e: IcmpErr) => icmpErr(true, eth({ src: MAC.client, dst: MAC.dpdk1 }), '2001:db8::30', '2001:db8::100', e, back!.data.subarray(14));
  // The real server sees its own SYN-ACK quoted: RIP:8080 -> LIP:lport, seq 5, id 0 and DF as RFC 7915 writes them.
  const quoteRs = { ipv4: { src: '172.16.50.2', dst: '192.168.100.200', ttl: 63, id: 0, flags: 'DF', proto: 6 }, tcp: { sport: 8080, dport: lport, seq: 5, flags: 'SA' } };
  const toRs = (type: number, code: number, mtu?: number): Expect => ({
    eth: { src: MAC.dpdk0, dst: MAC.router },
    ipv4: { src: '192.168.100.200', dst: '172.16.50.2', ttl: 64, tos: 0xc0, proto: 1 },
    icmp: { type, code, ...(mtu !== undefined ? { mtu } : {}), inner: quoteRs },
  });
  exactStep(conv, { desc: 'ICMPv6 port unreachable -> ICMPv4 port unreachable', in: { port: 'dpdk1', frame: fromClient6(portUnreach(true)) }, out: [{ port: 'dpdk0', expect: toRs(3, 3) }] });
  exactStep(conv, { desc: 'ICMPv6 packet too big 1300 -> ICMPv4 frag-needed 1280', in: { port: 'dpdk1', frame: fromClient6({ type: 'packet-too-big', mtu: 1300 } as IcmpErr) }, out: [{ port: 'dpdk0', expect: toRs(3, 4, 1280) }] });
  exactStep(conv, { desc: 'ICMPv6 time exceeded -> ICMPv4 time exceeded', in: { port: 'dpdk1', frame: fromClient6({ type: 'time-exceeded', code: 0 } as IcmpErr) }, out: [{ port: 'dpdk0', expect: toRs(11, 0) }] });
});
