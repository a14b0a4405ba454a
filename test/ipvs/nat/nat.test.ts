// NAT (-m), two-arm as in scenario S4: on the way in only the destination becomes RIP:rport, on the
// way out only the source becomes VIP:vport; TTL, IP id and flags stay; TCP states, UDP, v4 and v6.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth, type PacketBuilder, type TcpOpts } from '../../support/builder.js';
import { type ExactStep, MAC, converse, destStats, l3, stateOf } from '../../support/exact.js';

interface Lab {
  name: string;
  config: string;
  cip: string;
  vip: string;
  rip: string;
  v6: boolean;
}

const S4: Lab = {
  name: 'IPv4',
  cip: '192.168.0.46',
  vip: '192.168.0.89',
  rip: '10.140.18.33',
  v6: false,
  config: `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add 192.168.0.66/24 dev dpdk1
tsip addr add 10.140.31.48/20 dev dpdk0
tsip neigh add 192.168.0.46 lladdr ${MAC.client} dev dpdk1
tsip neigh add 10.140.18.33 lladdr ${MAC.rs1} dev dpdk0
tsvsadm -A -t 192.168.0.89:80 -s rr
tsvsadm -a -t 192.168.0.89:80 -r 10.140.18.33:8080 -m
tsvsadm -A -u 192.168.0.89:53 -s rr
tsvsadm -a -u 192.168.0.89:53 -r 10.140.18.33:5353 -m
`,
};

const S4_V6: Lab = {
  name: 'IPv6',
  cip: '2001:db8::46',
  vip: '2001:db8::89',
  rip: 'fd00:140::33',
  v6: true,
  config: `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add 2001:db8::66/64 dev dpdk1
tsip addr add fd00:140::48/64 dev dpdk0
tsip neigh add 2001:db8::46 lladdr ${MAC.client} dev dpdk1
tsip neigh add fd00:140::33 lladdr ${MAC.rs1} dev dpdk0
tsvsadm -A -t [2001:db8::89]:80 -s rr
tsvsadm -a -t [2001:db8::89]:80 -r [fd00:140::33]:8080 -m
tsvsadm -A -u [2001:db8::89]:53 -s rr
tsvsadm -a -u [2001:db8::89]:53 -r [fd00:140::33]:5353 -m
`,
};

/** Every packet carries TTL/hop limit 57: IPVS forwarding must not touch it (no xmit_ttl). */
const TTL = 57;

/** The four legs of a NAT flow: client -> VIP and its rewrite, RS -> client and its rewrite. */
function legs(lab: Lab, vport: number, rport: number, cport: number) {
  const ip = (b: PacketBuilder, src: string, dst: string, id: number): PacketBuilder =>
    lab.v6 ? b.ipv6({ src, dst, hlim: TTL }) : b.ipv4({ src, dst, ttl: TTL, id, flags: 'DF' });
  return {
    toVip: (id: number) => ip(eth({ src: MAC.client, dst: MAC.dpdk1 }), lab.cip, lab.vip, id),
    toRs: (id: number) => ip(eth({ src: MAC.dpdk0, dst: MAC.rs1 }), lab.cip, lab.rip, id),
    fromRs: (id: number) => ip(eth({ src: MAC.rs1, dst: MAC.dpdk0 }), lab.rip, lab.cip, id),
    toClient: (id: number) => ip(eth({ src: MAC.dpdk1, dst: MAC.client }), lab.vip, lab.cip, id),
    vport, rport, cport,
  };
}

interface Seg {
  desc: string;
  from: 'client' | 'rs';
  tcp: Omit<TcpOpts, 'sport' | 'dport'>;
  data?: string;
  /** The connection's state after the segment (DPVS's names). */
  state: string;
}

/** One step per segment: it must come out on the other arm with only the NAT'ed fields changed. */
function tcpSteps(lab: Lab, cport: number, segs: Seg[]): ExactStep[] {
  const l = legs(lab, 80, 8080, cport);
  return segs.map((s, k): ExactStep => {
    const id = 100 + k;
    const data = s.data ?? '';
    const [input, output] = s.from === 'client'
      ? [l.toVip(id).tcp({ sport: cport, dport: 80, ...s.tcp }), l.toRs(id).tcp({ sport: cport, dport: 8080, ...s.tcp })]
      : [l.fromRs(id).tcp({ sport: 8080, dport: cport, ...s.tcp }), l.toClient(id).tcp({ sport: 80, dport: cport, ...s.tcp })];
    return {
      desc: `${lab.name} ${s.desc}`,
      in: { port: s.from === 'client' ? 'dpdk1' : 'dpdk0', frame: input.payload(data) },
      out: [{ port: s.from === 'client' ? 'dpdk0' : 'dpdk1', frame: output.payload(data) }],
      check: (e) => assert.equal(stateOf(e, 'tcp', lab.cip, cport, lab.vip, 80), s.state, `${s.desc}: state`),
    };
  });
}

const REQ = 'GET / HTTP/1.0\r\n\r\n';
const RESP = 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n';

/** A whole conversation, closed by the client: the LVS IN/OUT tables drive the states. */
const CONVERSATION: Seg[] = [
  { desc: 'client SYN', from: 'client', tcp: { flags: 'S', seq: 1000, win: 64240, options: [{ kind: 'mss', value: 1460 }, { kind: 'sackok' }, { kind: 'wscale', value: 7 }] }, state: 'SYN_RECV' },
  { desc: 'RS SYN-ACK', from: 'rs', tcp: { flags: 'SA', seq: 7000, ack: 1001, win: 65160, options: [{ kind: 'mss', value: 1400 }] }, state: 'SYN_RECV' },
  { desc: 'client ACK', from: 'client', tcp: { flags: 'A', seq: 1001, ack: 7001 }, state: 'TCP_EST' },
  { desc: 'client request', from: 'client', tcp: { flags: 'PA', seq: 1001, ack: 7001 }, data: REQ, state: 'TCP_EST' },
  { desc: 'RS response', from: 'rs', tcp: { flags: 'PA', seq: 7001, ack: 1001 + REQ.length }, data: RESP, state: 'TCP_EST' },
  { desc: 'client FIN', from: 'client', tcp: { flags: 'FA', seq: 1001 + REQ.length, ack: 7001 + RESP.length }, state: 'CLOSE_WAIT' },
  { desc: 'RS FIN', from: 'rs', tcp: { flags: 'FA', seq: 7001 + RESP.length, ack: 1002 + REQ.length }, state: 'TIME_WAIT' },
  { desc: 'client last ACK', from: 'client', tcp: { flags: 'A', seq: 1002 + REQ.length, ack: 7002 + RESP.length }, state: 'TIME_WAIT' },
];

/** The real server refuses: its RST goes back to the client as from VIP:80 and closes the conn. */
const REFUSED: Seg[] = [
  { desc: 'client SYN (second port)', from: 'client', tcp: { flags: 'S', seq: 2000 }, state: 'SYN_RECV' },
  { desc: 'RS RST-ACK', from: 'rs', tcp: { flags: 'RA', seq: 0, ack: 2001, win: 0 }, state: 'TCP_CLOSE' },
];

/** The client aborts an established connection. */
const ABORTED: Seg[] = [
  { desc: 'client SYN (third port)', from: 'client', tcp: { flags: 'S', seq: 3000 }, state: 'SYN_RECV' },
  { desc: 'RS SYN-ACK (third port)', from: 'rs', tcp: { flags: 'SA', seq: 9000, ack: 3001 }, state: 'SYN_RECV' },
  { desc: 'client ACK (third port)', from: 'client', tcp: { flags: 'A', seq: 3001, ack: 9001 }, state: 'TCP_EST' },
  { desc: 'client RST', from: 'client', tcp: { flags: 'R', seq: 3001, win: 0 }, state: 'TCP_CLOSE' },
];

function udpSteps(lab: Lab): ExactStep[] {
  const l = legs(lab, 53, 5353, 33000);
  const q = 'query: example.org A';
  const a = 'answer: 93.184.216.34';
  return [
    {
      desc: `${lab.name} UDP query`,
      in: { port: 'dpdk1', frame: l.toVip(200).udp({ sport: 33000, dport: 53 }).payload(q) },
      out: [{ port: 'dpdk0', frame: l.toRs(200).udp({ sport: 33000, dport: 5353 }).payload(q) }],
      check: (e) => assert.equal(stateOf(e, 'udp', lab.cip, 33000, lab.vip, 53), 'UDP_ONEWAY'),
    },
    {
      desc: `${lab.name} UDP answer`,
      in: { port: 'dpdk0', frame: l.fromRs(201).udp({ sport: 5353, dport: 33000 }).payload(a) },
      out: [{ port: 'dpdk1', frame: l.toClient(201).udp({ sport: 53, dport: 33000 }).payload(a) }],
      check: (e) => assert.equal(stateOf(e, 'udp', lab.cip, 33000, lab.vip, 53), 'UDP_NORM'),
    },
  ];
}

for (const lab of [S4, S4_V6]) {
  test(`NAT ${lab.name}: a whole TCP conversation, only the destination (in) or source (out) rewritten`, () => {
    const steps = tcpSteps(lab, 40000, CONVERSATION);
    const c = converse(lab.config, steps);
    // The dest counts each direction's packets and their L3 bytes as they arrived.
    const bytesFrom = (port: string) => steps.reduce((n, s) => n + (s.in!.port === port ? l3(s.in!.frame as PacketBuilder).length : 0), 0);
    assert.deepEqual(destStats(c.engine, 0), {
      conns: 1, inPkts: 5, outPkts: 3, inBytes: bytesFrom('dpdk1'), outBytes: bytesFrom('dpdk0'),
    });
  });

  test(`NAT ${lab.name}: RST from the real server and from the client close the connection`, () => {
    converse(lab.config, [...tcpSteps(lab, 40001, REFUSED), ...tcpSteps(lab, 40002, ABORTED)]);
  });

  test(`NAT ${lab.name}: a UDP exchange to another real-server port`, () => {
    converse(lab.config, udpSteps(lab));
  });
}

test('NAT IPv4: a UDP datagram without checksum keeps the zero checksum both ways', () => {
  const l = legs(S4, 53, 5353, 33001);
  converse(S4.config, [
    {
      desc: 'query without checksum',
      in: { port: 'dpdk1', frame: l.toVip(300).udp({ sport: 33001, dport: 53, checksum: 0 }).payload('q') },
      out: [{ port: 'dpdk0', frame: l.toRs(300).udp({ sport: 33001, dport: 5353, checksum: 0 }).payload('q') }],
    },
    {
      desc: 'answer without checksum',
      in: { port: 'dpdk0', frame: l.fromRs(301).udp({ sport: 5353, dport: 33001, checksum: 0 }).payload('a') },
      out: [{ port: 'dpdk1', frame: l.toClient(301).udp({ sport: 53, dport: 33001, checksum: 0 }).payload('a') }],
    },
  ]);
});
