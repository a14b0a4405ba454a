// Neighbour resolution with no static entry: the first packet to a next hop is queued behind a
// broadcast ARP request; retries each second, gives up after 3; queue limit; REACHABLE -> STALE.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth } from '../support/builder.js';
import { type ExactStep, MAC, converse, neighState } from '../support/exact.js';
import type { Engine } from '../../src/worker/engine.js';

const CIP = '192.168.0.46';
const VIP = '192.168.0.89';
const RIP = '10.140.18.33';
/** The address ARP requests on dpdk0 must come from: the port's address on the RS's subnet. */
const LOCAL = '10.140.31.48';

/** S4's NAT lab with no neighbour for the RS; dpdk0's first address is on another subnet. */
const S4 = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add 192.168.0.66/24 dev dpdk1
tsip addr add 10.99.0.1/24 dev dpdk0
tsip addr add ${LOCAL}/20 dev dpdk0
tsip neigh add ${CIP} lladdr ${MAC.client} dev dpdk1
tsvsadm -A -u ${VIP}:53 -s rr
tsvsadm -a -u ${VIP}:53 -r ${RIP}:5353 -m
`;

const query = (n: number) => eth({ src: MAC.client, dst: MAC.dpdk1 }).ipv4({ src: CIP, dst: VIP, id: n }).udp({ sport: 33000, dport: 53 }).payload(`query ${n}`);
const toRs = (n: number, mac: string = MAC.rs1) => eth({ src: MAC.dpdk0, dst: mac }).ipv4({ src: CIP, dst: RIP, id: n }).udp({ sport: 33000, dport: 5353 }).payload(`query ${n}`);

/** Who has RIP? Broadcast, or unicast to the MAC we hold when re-checking it. */
const whoHas = (dst: string = MAC.bcast) => eth({ src: MAC.dpdk0, dst }).arp({ op: 'request', sha: MAC.dpdk0, spa: LOCAL, tha: '00:00:00:00:00:00', tpa: RIP });
const isAt = eth({ src: MAC.rs1, dst: MAC.dpdk0 }).arp({ op: 'reply', sha: MAC.rs1, spa: RIP, tha: MAC.dpdk0, tpa: LOCAL });

const expectState = (s: string) => (e: Engine) => assert.equal(neighState(e, RIP), s);
/** Resolving: no MAC yet, n packets waiting. */
const incomplete = (n: number) => `INCOMPLETE 00:00:00:00:00:00 queued ${n}`;

test('first packet to an unknown RS: ARP request, queued; retried after a second; the reply flushes the queue', () => {
  const steps: ExactStep[] = [
    { desc: 'query 1: who has the RS?', in: { port: 'dpdk1', frame: query(1) }, out: [{ port: 'dpdk0', frame: whoHas() }], check: expectState(incomplete(1)) },
    { desc: '999 ms later: no retry yet', wait: 999, out: [], check: expectState(incomplete(1)) },
    { desc: 'a second after the request: asked again', wait: 1, out: [{ port: 'dpdk0', frame: whoHas() }], check: expectState(incomplete(1)) },
    { desc: 'the RS answers: query 1 leaves with its MAC', in: { port: 'dpdk0', frame: isAt }, out: [{ port: 'dpdk0', frame: toRs(1) }], check: expectState(`REACHABLE ${MAC.rs1} queued 0`) },
    { desc: 'query 2 goes straight out', in: { port: 'dpdk1', frame: query(2) }, out: [{ port: 'dpdk0', frame: toRs(2) }] },
    { desc: '59.999 s after the reply: still REACHABLE', wait: 59_999, out: [], check: expectState(`REACHABLE ${MAC.rs1} queued 0`) },
    { desc: '60 s after the reply: STALE', wait: 1, out: [], check: expectState(`STALE ${MAC.rs1} queued 0`) },
    {
      desc: 'query 3 on a STALE entry: a unicast probe, and the query leaves with the MAC we hold',
      in: { port: 'dpdk1', frame: query(3) },
      out: [{ port: 'dpdk0', frame: whoHas(MAC.rs1) }, { port: 'dpdk0', frame: toRs(3) }],
      check: expectState(`PROBE ${MAC.rs1} queued 0`),
    },
    { desc: 'the RS confirms', in: { port: 'dpdk0', frame: isAt }, out: [], check: expectState(`REACHABLE ${MAC.rs1} queued 0`) },
  ];
  converse(S4, steps);
});

test('three unanswered requests: the queued packet is dropped as neigh_unresolved; the next packet starts over', () => {
  converse(S4, [
    { desc: 'query 1: request 1', in: { port: 'dpdk1', frame: query(1) }, out: [{ port: 'dpdk0', frame: whoHas() }] },
    { desc: 'request 2', wait: 1000, out: [{ port: 'dpdk0', frame: whoHas() }] },
    { desc: 'request 3', wait: 1000, out: [{ port: 'dpdk0', frame: whoHas() }], check: expectState(incomplete(1)) },
    { desc: 'no answer: give up', wait: 1000, out: [], drop: 'neigh_unresolved', check: expectState('none') },
    { desc: 'nothing more is sent', wait: 5000, out: [] },
    { desc: 'query 2: a fresh request', in: { port: 'dpdk1', frame: query(2) }, out: [{ port: 'dpdk0', frame: whoHas() }], check: expectState(incomplete(1)) },
  ]);
});

test('the unresolved queue holds neigh_defs.unres_queue_length packets; more are dropped as neigh_queue_full', () => {
  converse(`${S4}tsvs set neigh_defs.unres_queue_length 2\n`, [
    { desc: 'query 1: request, queued', in: { port: 'dpdk1', frame: query(1) }, out: [{ port: 'dpdk0', frame: whoHas() }] },
    { desc: 'query 2: queued, no second request', in: { port: 'dpdk1', frame: query(2) }, out: [], check: expectState(incomplete(2)) },
    { desc: 'query 3: the queue is full', in: { port: 'dpdk1', frame: query(3) }, out: [], drop: 'neigh_queue_full', check: expectState(incomplete(2)) },
    { desc: 'the reply flushes queries 1 and 2 in order', in: { port: 'dpdk0', frame: isAt }, out: [{ port: 'dpdk0', frame: toRs(1) }, { port: 'dpdk0', frame: toRs(2) }] },
  ]);
});
