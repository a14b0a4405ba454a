// ARP answers: requests for an interface address, a VIP (no `tsip addr add` needed) and a LIP are
// answered with the port's MAC and teach us the requester; requests for anything else go up.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eth } from '../support/builder.js';
import { MAC, converse, neighState } from '../support/exact.js';

/** S1's FullNAT lab without the VIP as an interface address and without a static client neighbour. */
const S1 = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add 10.0.0.1/16 dev dpdk1
tsip addr add 192.168.100.1/24 dev dpdk0
tsip neigh add 192.168.100.2 lladdr ${MAC.rs1} dev dpdk0
tsvsadm -A -t 10.0.0.100:80 -s rr
tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.2 -b
tsvsadm --add-laddr -z 192.168.100.200 -t 10.0.0.100:80 -F dpdk0
`;

const request = (src: string, spa: string, tpa: string) =>
  eth({ src, dst: MAC.bcast }).arp({ op: 'request', sha: src, spa, tha: '00:00:00:00:00:00', tpa });

/** The answer: our MAC for the asked address, sent to the requester alone. */
const reply = (port: string, asked: string, to: string, toIp: string) =>
  eth({ src: port, dst: to }).arp({ op: 'reply', sha: port, spa: asked, tha: to, tpa: toIp });

test('ARP requests for our addresses, the VIP and the LIP are answered with the port\'s MAC', () => {
  converse(S1, [
    {
      desc: 'who has 10.0.0.1 (interface address, dpdk1)',
      in: { port: 'dpdk1', frame: request(MAC.client, '10.0.0.48', '10.0.0.1') },
      out: [{ port: 'dpdk1', frame: reply(MAC.dpdk1, '10.0.0.1', MAC.client, '10.0.0.48') }],
      check: (e) => assert.equal(neighState(e, '10.0.0.48'), `REACHABLE ${MAC.client} queued 0`),
    },
    {
      desc: 'who has 10.0.0.100 (a VIP, never added with tsip addr add)',
      in: { port: 'dpdk1', frame: request(MAC.router, '10.0.0.254', '10.0.0.100') },
      out: [{ port: 'dpdk1', frame: reply(MAC.dpdk1, '10.0.0.100', MAC.router, '10.0.0.254') }],
      check: (e) => assert.equal(neighState(e, '10.0.0.254'), `REACHABLE ${MAC.router} queued 0`),
    },
    {
      desc: 'who has 192.168.100.200 (the LIP, from the RS)',
      in: { port: 'dpdk0', frame: request(MAC.rs2, '192.168.100.3', '192.168.100.200') },
      out: [{ port: 'dpdk0', frame: reply(MAC.dpdk0, '192.168.100.200', MAC.rs2, '192.168.100.3') }],
      check: (e) => assert.equal(neighState(e, '192.168.100.3'), `REACHABLE ${MAC.rs2} queued 0`),
    },
    {
      desc: 'who has 192.168.100.1, asked by a known static neighbour: answered, the static entry kept',
      in: { port: 'dpdk0', frame: request(MAC.other, '192.168.100.2', '192.168.100.1') },
      out: [{ port: 'dpdk0', frame: reply(MAC.dpdk0, '192.168.100.1', MAC.other, '192.168.100.2') }],
      check: (e) => assert.equal(neighState(e, '192.168.100.2'), `PERMANENT ${MAC.rs1} queued 0`),
    },
  ]);
});

test('the requester is learned: our next packet to it goes out at once, without a request of ours', () => {
  const ping = eth({ src: MAC.client, dst: MAC.dpdk1 }).ipv4({ src: '10.0.0.48', dst: '10.0.0.100', id: 5 }).icmp({ type: 'echo-request', id: 1, seq: 1, data: 'hi' });
  converse(S1, [
    { desc: 'ARP request from the client', in: { port: 'dpdk1', frame: request(MAC.client, '10.0.0.48', '10.0.0.100') }, out: [{ port: 'dpdk1', frame: reply(MAC.dpdk1, '10.0.0.100', MAC.client, '10.0.0.48') }] },
    {
      desc: 'its ping of the VIP is answered straight to its MAC',
      in: { port: 'dpdk1', frame: ping },
      out: [{ port: 'dpdk1', frame: eth({ src: MAC.dpdk1, dst: MAC.client }).ipv4({ src: '10.0.0.100', dst: '10.0.0.48', id: 5 }).icmp({ type: 'echo-reply', id: 1, seq: 1, data: 'hi' }) }],
    },
  ]);
});

test('ARP for other addresses goes up to the kernel untouched; replies and requests from strangers teach nothing', () => {
  const other = request(MAC.client, '10.0.0.48', '10.0.0.77');
  const unsolicited = eth({ src: MAC.other, dst: MAC.dpdk1 }).arp({ op: 'reply', sha: MAC.other, spa: '10.0.0.99', tha: MAC.dpdk1, tpa: '10.0.0.1' });
  converse(S1, [
    {
      desc: 'who has 10.0.0.77 (not ours)',
      in: { port: 'dpdk1', frame: other },
      out: [{ port: 'dpdk1', kernel: true, frame: other }],
      check: (e) => assert.equal(neighState(e, '10.0.0.48'), 'none'),
    },
    {
      desc: 'an unsolicited reply creates no entry',
      in: { port: 'dpdk1', frame: unsolicited },
      out: [],
      check: (e) => assert.equal(neighState(e, '10.0.0.99'), 'none'),
    },
  ]);
});

test('answerNeighbours off (every worker but one): requests for our addresses are learned from, not answered', () => {
  converse(S1, [
    {
      desc: 'who has 10.0.0.100 (a VIP): no reply, not to the kernel either, the asker learned',
      in: { port: 'dpdk1', frame: request(MAC.client, '10.0.0.48', '10.0.0.100') },
      out: [],
      check: (e) => assert.equal(neighState(e, '10.0.0.48'), `REACHABLE ${MAC.client} queued 0`),
    },
    {
      desc: 'who has 10.0.0.1 (interface address): no reply either',
      in: { port: 'dpdk1', frame: request(MAC.router, '10.0.0.254', '10.0.0.1') },
      out: [],
      check: (e) => assert.equal(neighState(e, '10.0.0.254'), `REACHABLE ${MAC.router} queued 0`),
    },
    {
      desc: 'a request for an address not ours still goes up to the kernel',
      in: { port: 'dpdk1', frame: request(MAC.client, '10.0.0.48', '10.0.0.77') },
      out: [{ port: 'dpdk1', kernel: true, frame: request(MAC.client, '10.0.0.48', '10.0.0.77') }],
    },
  ], { answerNeighbours: false });
});

test('service_addr_arp off (a VRRP pair): a bare service address is not answered, a tsip addr VIP and the LIP are', () => {
  const vrrp = `${S1}tsip addr add 10.0.0.101/32 dev dpdk1\ntsvsadm -A -t 10.0.0.101:80 -s rr\n`;
  const forVip = request(MAC.router, '10.0.0.254', '10.0.0.100');
  converse(vrrp, [
    {
      desc: 'who has 10.0.0.100 (a service, but no tsip addr add: the backup of a VRRP pair): up to the kernel, unanswered',
      in: { port: 'dpdk1', frame: forVip },
      out: [{ port: 'dpdk1', kernel: true, frame: forVip }],
      check: (e) => assert.equal(neighState(e, '10.0.0.254'), 'none'),
    },
    {
      desc: 'who has 10.0.0.101 (a service added with tsip addr add: the master)',
      in: { port: 'dpdk1', frame: request(MAC.router, '10.0.0.254', '10.0.0.101') },
      out: [{ port: 'dpdk1', frame: reply(MAC.dpdk1, '10.0.0.101', MAC.router, '10.0.0.254') }],
    },
    {
      desc: 'who has 192.168.100.200 (the LIP)',
      in: { port: 'dpdk0', frame: request(MAC.rs2, '192.168.100.3', '192.168.100.200') },
      out: [{ port: 'dpdk0', frame: reply(MAC.dpdk0, '192.168.100.200', MAC.rs2, '192.168.100.3') }],
    },
  ], { answerServiceAddrs: false });
});
