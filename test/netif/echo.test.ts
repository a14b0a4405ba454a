// ICMP echo answered by tsvs itself, IPv4 and IPv6: for an interface address, a VIP (ping works
// even with no `tsip addr add` for it, see S7) and a LIP; a bad checksum gets no answer.

import { test } from 'node:test';
import { eth, type PacketBuilder } from '../support/builder.js';
import { MAC, converse } from '../support/exact.js';

const LAB = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add 10.0.0.1/16 dev dpdk1
tsip addr add 2001:db8::1/64 dev dpdk1
tsip addr add 192.168.100.1/24 dev dpdk0
tsip neigh add 10.0.0.48 lladdr ${MAC.client} dev dpdk1
tsip neigh add 2001:db8::30 lladdr ${MAC.client} dev dpdk1
tsip neigh add 192.168.100.2 lladdr ${MAC.rs1} dev dpdk0
tsvsadm -A -t 10.0.0.100:80 -s rr
tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.2 -b
tsvsadm --add-laddr -z 192.168.100.200 -t 10.0.0.100:80 -F dpdk0
tsvsadm -A -t [2001:db8::100]:80 -s rr
tsvsadm -a -t [2001:db8::100]:80 -r 192.168.100.2 -b
`;

interface Ping {
  desc: string;
  port: 'dpdk0' | 'dpdk1';
  from: string;
  fromMac: string;
  to: string;
}

/** The request arrives with TTL 60 and DF; the reply is the same packet turned round, TTL 64. */
function ping(p: Ping, reply: boolean): PacketBuilder {
  const ours = p.port === 'dpdk1' ? MAC.dpdk1 : MAC.dpdk0;
  const b = reply ? eth({ src: ours, dst: p.fromMac }) : eth({ src: p.fromMac, dst: ours });
  const [src, dst] = reply ? [p.to, p.from] : [p.from, p.to];
  const echo = { type: reply ? 'echo-reply' : 'echo-request', id: 0x0bad, seq: 7, data: 'abcdefghijklmnopqrstuvwabcdefghi' } as const;
  return p.to.includes(':')
    ? b.ipv6({ src, dst, hlim: reply ? 64 : 60 }).icmpv6(echo)
    : b.ipv4({ src, dst, ttl: reply ? 64 : 60, id: 0x4321, flags: 'DF' }).icmp(echo);
}

const PINGS: Ping[] = [
  { desc: 'IPv4 interface address', port: 'dpdk1', from: '10.0.0.48', fromMac: MAC.client, to: '10.0.0.1' },
  { desc: 'IPv4 VIP', port: 'dpdk1', from: '10.0.0.48', fromMac: MAC.client, to: '10.0.0.100' },
  { desc: 'IPv4 LIP, from the RS', port: 'dpdk0', from: '192.168.100.2', fromMac: MAC.rs1, to: '192.168.100.200' },
  { desc: 'IPv6 interface address', port: 'dpdk1', from: '2001:db8::30', fromMac: MAC.client, to: '2001:db8::1' },
  { desc: 'IPv6 VIP', port: 'dpdk1', from: '2001:db8::30', fromMac: MAC.client, to: '2001:db8::100' },
];

test('echo requests to our addresses, VIPs and LIPs are answered by tsvs', () => {
  converse(LAB, PINGS.map((p) => ({ desc: p.desc, in: { port: p.port, frame: ping(p, false) }, out: [{ port: p.port, frame: ping(p, true) }] })));
});

test('an echo request with a bad checksum is dropped as l4_bad_csum', () => {
  const bad = eth({ src: MAC.client, dst: MAC.dpdk1 }).ipv4({ src: '10.0.0.48', dst: '10.0.0.100' }).icmp({ type: 'echo-request', id: 1, seq: 1, badChecksum: true });
  converse(LAB, [{ desc: 'bad checksum', in: { port: 'dpdk1', frame: bad }, drop: 'l4_bad_csum', out: [] }]);
});
