// IPv6 neighbour discovery: NS for an interface address, a VIP or a LIP gets an NA (solicited and
// override, our link-layer address); unknown next hops get an NS to their solicited-node group.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth, type PacketBuilder } from '../support/builder.js';
import { MAC, converse, neighState } from '../support/exact.js';
import { parseIp } from '../../src/packet/inet.js';

const CIP = '2001:db8::46';
const VIP = '2001:db8::89';
const RIP = 'fd00:140::33';
const LIP = 'fd00:140::200';
const LOCAL = 'fd00:140::48';

/** IPv6 twin of S4 (NAT) plus a FullNAT service with a LIP; no neighbour for the RS. */
const LAB = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add 2001:db8::66/64 dev dpdk1
tsip addr add fd00:99::1/64 dev dpdk0
tsip addr add ${LOCAL}/64 dev dpdk0
tsip neigh add ${CIP} lladdr ${MAC.client} dev dpdk1
tsvsadm -A -u [${VIP}]:53 -s rr
tsvsadm -a -u [${VIP}]:53 -r [${RIP}]:5353 -m
tsvsadm -A -t [${VIP}]:443 -s rr
tsvsadm -a -t [${VIP}]:443 -r [${RIP}] -b
tsvsadm --add-laddr -z ${LIP} -t [${VIP}]:443 -F dpdk0
`;

/** Solicited-node multicast address and its MAC (RFC 4291 2.7.1, RFC 2464 7). */
function solicitedNode(addr: string): { ip: string; mac: string } {
  const w3 = parseIp(addr)!.w3;
  const b = [(w3 >>> 16) & 255, (w3 >>> 8) & 255, w3 & 255];
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return { ip: `ff02::1:ff${h(b[0]!)}:${h(b[1]!)}${h(b[2]!)}`, mac: `33:33:ff:${b.map(h).join(':')}` };
}

const ns = (srcMac: string, src: string, target: string, port: 'dpdk0' | 'dpdk1' = 'dpdk1'): { port: string; frame: PacketBuilder } => {
  const g = solicitedNode(target);
  const opts = src === '::' ? {} : { sll: srcMac };
  return { port, frame: eth({ src: srcMac, dst: g.mac }).ipv6({ src, dst: g.ip, hlim: 255 }).icmpv6({ type: 'ns', target, ...opts }) };
};

/** Our NA: from the target address, solicited + override, our MAC in the target link-layer option. */
const na = (portMac: string, target: string, toMac: string, to: string, solicited = true) =>
  eth({ src: portMac, dst: toMac }).ipv6({ src: target, dst: to, hlim: 255 })
    .icmpv6({ type: 'na', target, tll: portMac, router: false, solicited, override: true });

test('NS for an interface address, a VIP and a LIP is answered with an NA; the solicitor is learned', () => {
  converse(LAB, [
    {
      desc: 'NS for 2001:db8::66 (interface address)',
      in: ns(MAC.other, '2001:db8::77', '2001:db8::66'),
      out: [{ port: 'dpdk1', frame: na(MAC.dpdk1, '2001:db8::66', MAC.other, '2001:db8::77') }],
      check: (e) => assert.equal(neighState(e, '2001:db8::77'), `REACHABLE ${MAC.other} queued 0`),
    },
    {
      desc: 'NS for the VIP (never added with tsip addr add)',
      in: ns(MAC.router, 'fe80::fe', VIP),
      out: [{ port: 'dpdk1', frame: na(MAC.dpdk1, VIP, MAC.router, 'fe80::fe') }],
      check: (e) => assert.equal(neighState(e, 'fe80::fe'), `REACHABLE ${MAC.router} queued 0`),
    },
    {
      desc: 'NS for the LIP, from the RS',
      in: ns(MAC.rs1, RIP, LIP, 'dpdk0'),
      out: [{ port: 'dpdk0', frame: na(MAC.dpdk0, LIP, MAC.rs1, RIP) }],
      check: (e) => assert.equal(neighState(e, RIP), `REACHABLE ${MAC.rs1} queued 0`),
    },
    {
      desc: 'duplicate address detection (from ::): NA to all nodes, not solicited',
      in: ns(MAC.rs2, '::', LOCAL, 'dpdk0'),
      out: [{ port: 'dpdk0', frame: na(MAC.dpdk0, LOCAL, '33:33:00:00:00:01', 'ff02::1', false) }],
    },
  ]);
});

test('NS for an address that is not ours goes up to the kernel', () => {
  const other = ns(MAC.other, '2001:db8::77', '2001:db8::99');
  converse(LAB, [{ desc: 'NS for 2001:db8::99', in: other, out: [{ port: 'dpdk1', kernel: true, frame: other.frame }] }]);
});

test('unknown IPv6 next hop: NS to its solicited-node group from our address on its prefix; the NA flushes the queue', () => {
  const query = eth({ src: MAC.client, dst: MAC.dpdk1 }).ipv6({ src: CIP, dst: VIP }).udp({ sport: 33000, dport: 53 }).payload('query');
  const g = solicitedNode(RIP);
  converse(LAB, [
    {
      desc: 'query to the RS: NS',
      in: { port: 'dpdk1', frame: query },
      out: [{ port: 'dpdk0', frame: eth({ src: MAC.dpdk0, dst: g.mac }).ipv6({ src: LOCAL, dst: g.ip, hlim: 255 }).icmpv6({ type: 'ns', target: RIP, sll: MAC.dpdk0 }) }],
      check: (e) => assert.equal(neighState(e, RIP), 'INCOMPLETE 00:00:00:00:00:00 queued 1'),
    },
    {
      desc: 'the RS advertises itself: the query leaves',
      in: { port: 'dpdk0', frame: eth({ src: MAC.rs1, dst: MAC.dpdk0 }).ipv6({ src: RIP, dst: LOCAL, hlim: 255 }).icmpv6({ type: 'na', target: RIP, tll: MAC.rs1, solicited: true, override: true }) },
      out: [{ port: 'dpdk0', frame: eth({ src: MAC.dpdk0, dst: MAC.rs1 }).ipv6({ src: CIP, dst: RIP }).udp({ sport: 33000, dport: 5353 }).payload('query') }],
      check: (e) => assert.equal(neighState(e, RIP), `REACHABLE ${MAC.rs1} queued 0`),
    },
  ]);
});

test('answerNeighbours off (every worker but one): NS for our addresses is learned from, not answered', () => {
  converse(LAB, [
    {
      desc: 'NS for the VIP: no NA, the solicitor learned',
      in: ns(MAC.router, 'fe80::fe', VIP),
      out: [],
      check: (e) => assert.equal(neighState(e, 'fe80::fe'), `REACHABLE ${MAC.router} queued 0`),
    },
    {
      desc: 'NS for the LIP, from the RS: no NA, the RS learned',
      in: ns(MAC.rs1, RIP, LIP, 'dpdk0'),
      out: [],
      check: (e) => assert.equal(neighState(e, RIP), `REACHABLE ${MAC.rs1} queued 0`),
    },
  ], { answerNeighbours: false });
});
