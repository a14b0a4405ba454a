// A catalogue of frames covering every layer the builder knows, shared by the support tests
// (checksums, dissection round trips, tshark and scapy cross-checks). Each one is well formed.

import { eth, ipv4, ipv6, type PacketBuilder } from './builder.js';

const A = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const CIP = '10.0.0.48';
const VIP = '10.0.0.100';
const CIP6 = '2001:db8::30';
const VIP6 = '2001:db8::100';

const synOptions = [
  { kind: 'mss', value: 1460 },
  { kind: 'sackok' },
  { kind: 'ts', val: 1, ecr: 0 },
  { kind: 'nop' },
  { kind: 'wscale', value: 7 },
] as const;

const innerTcp4 = ipv4({ src: VIP, dst: CIP, id: 7 }).tcp({ sport: 80, dport: 40000, flags: 'SA', seq: 5, ack: 1001 }).payload('x'.repeat(64));
const innerUdp4 = ipv4({ src: CIP, dst: VIP, ttl: 1 }).udp({ sport: 5353, dport: 53 }).payload('query');
const innerTcp6 = ipv6({ src: VIP6, dst: CIP6 }).tcp({ sport: 80, dport: 40000, flags: 'PA', seq: 9 }).payload('y'.repeat(1300));

export const SAMPLES: readonly { readonly name: string; readonly frame: PacketBuilder }[] = [
  { name: 'tcp syn v4 with options', frame: eth(A).ipv4({ src: CIP, dst: VIP, flags: 'DF' }).tcp({ sport: 40000, dport: 80, seq: 1000, win: 65535, options: [...synOptions] }) },
  { name: 'tcp v4 ack with TOA', frame: eth(A).ipv4({ src: '192.168.100.1', dst: '192.168.100.2' }).tcp({ sport: 5001, dport: 80, flags: 'A', seq: 1001, ack: 6, options: [{ kind: 'toa', port: 40000, addr: CIP }] }) },
  { name: 'tcp v6 data with TOA v6', frame: eth(A).ipv6({ src: 'fd00::1', dst: 'fd00::2', tc: 0x10, flowLabel: 0x12345 }).tcp({ sport: 5002, dport: 8080, flags: 'PA', seq: 7, ack: 8, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'toa', port: 40001, addr: CIP6 }] }).payload('GET / HTTP/1.0\r\n\r\n') },
  { name: 'tcp over vlan 100', frame: eth({ ...A, vlan: 100 }).ipv4({ src: CIP, dst: VIP }).tcp({ sport: 40000, dport: 80, flags: 'FA', seq: 3, ack: 4, options: [{ kind: 'sack', blocks: [[1, 2], [5, 9]] }] }) },
  { name: 'udp v4', frame: eth(A).ipv4({ src: CIP, dst: VIP, tos: 0x2e }).udp({ sport: 31337, dport: 80 }).payload('katran test pkt') },
  { name: 'udp v4 without checksum', frame: eth(A).ipv4({ src: CIP, dst: VIP }).udp({ sport: 31337, dport: 80, checksum: 0 }).payload('no sum') },
  { name: 'udp v6', frame: eth(A).ipv6({ src: CIP6, dst: VIP6, hlim: 5 }).udp({ sport: 31337, dport: 443 }).payload(new Uint8Array([0xc0, 0, 0, 0, 1, 8])) },
  { name: 'icmp echo request', frame: eth(A).ipv4({ src: CIP, dst: VIP }).icmp({ type: 'echo-request', id: 0x1234, seq: 1, data: 'abcdefgh' }) },
  { name: 'icmp frag-needed quoting 28 bytes', frame: eth(A).ipv4({ src: '10.0.0.1', dst: VIP }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: innerTcp4, quoteLen: 28 }) },
  { name: 'icmp time-exceeded quoting a whole udp packet', frame: eth(A).ipv4({ src: '10.0.0.1', dst: CIP }).icmp({ type: 'time-exceeded', quote: innerUdp4 }) },
  { name: 'icmpv6 echo reply', frame: eth(A).ipv6({ src: VIP6, dst: CIP6 }).icmpv6({ type: 'echo-reply', id: 7, seq: 2, data: 'ping' }) },
  { name: 'icmpv6 packet too big', frame: eth(A).ipv6({ src: '2001:db8::1', dst: VIP6 }).icmpv6({ type: 'packet-too-big', mtu: 1280, quote: innerTcp6, quoteLen: 1232 }) },
  { name: 'icmpv6 dest-unreach', frame: eth(A).ipv6({ src: '2001:db8::1', dst: CIP6 }).icmpv6({ type: 'dest-unreach', code: 4, quote: innerTcp6, quoteLen: 48 }) },
  { name: 'icmpv6 neighbour solicitation', frame: eth({ src: A.src, dst: '33:33:ff:00:01:00' }).ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:100', hlim: 255 }).icmpv6({ type: 'ns', target: VIP6, sll: A.src }) },
  { name: 'icmpv6 neighbour advertisement', frame: eth(A).ipv6({ src: VIP6, dst: 'fe80::1', hlim: 255 }).icmpv6({ type: 'na', target: VIP6, tll: A.dst, solicited: true, override: true }) },
  { name: 'arp request', frame: eth({ src: A.src, dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 'request', sha: A.src, spa: CIP, tpa: VIP }) },
  { name: 'arp reply', frame: eth(A).arp({ op: 'reply', sha: A.dst, spa: VIP, tha: A.src, tpa: CIP }) },
  { name: 'ipip', frame: eth(A).ipv4({ src: '172.16.104.123', dst: '10.0.0.3', ttl: 64 }).ipv4({ src: CIP, dst: VIP }).tcp({ sport: 40000, dport: 80 }) },
  { name: 'ip6ip6', frame: eth(A).ipv6({ src: 'fc00:2::1', dst: 'fc00::1' }).ipv6({ src: CIP6, dst: VIP6 }).udp({ sport: 1, dport: 2 }).payload('six') },
  { name: '4in6', frame: eth(A).ipv6({ src: 'fc00:2::1', dst: 'fc00::1' }).ipv4({ src: CIP, dst: VIP }).udp({ sport: 1, dport: 2 }) },
  { name: 'gre with key, checksum and sequence, inner v6', frame: eth(A).ipv4({ src: '10.1.0.1', dst: '10.1.0.2' }).gre({ key: 42, csum: true, seq: 3 }).ipv6({ src: CIP6, dst: VIP6 }).tcp({ sport: 1, dport: 2, flags: 'R' }) },
  { name: 'gre plain, inner v4', frame: eth(A).ipv6({ src: 'fc00::a', dst: 'fc00::b' }).gre().ipv4({ src: CIP, dst: VIP }).icmp({ type: 'echo-reply', id: 1, seq: 1 }) },
  { name: 'ipv6 extension headers', frame: eth(A).ipv6({ src: CIP6, dst: VIP6, ext: [{ kind: 'hbh', options: [5, 2, 0, 0] }, { kind: 'dstopts' }, { kind: 'routing', routingType: 0, segmentsLeft: 0, addresses: ['2001:db8::9'] }, { kind: 'fragment', id: 99 }] }).tcp({ sport: 40000, dport: 80 }) },
  { name: 'ipv6 type 2 routing header with a segment left', frame: eth(A).ipv6({ src: CIP6, dst: VIP6, ext: [{ kind: 'routing', routingType: 2, segmentsLeft: 1, addresses: ['2001:db8::7'] }] }).tcp({ sport: 40000, dport: 80, flags: 'A' }) },
  { name: 'ipv6 segment routing header', frame: eth(A).ipv6({ src: CIP6, dst: VIP6, ext: [{ kind: 'routing', routingType: 4, segmentsLeft: 1, addresses: ['2001:db8::9', VIP6] }] }).udp({ sport: 1, dport: 2 }) },
  { name: 'ipv4 options and DF', frame: eth(A).ipv4({ src: CIP, dst: VIP, flags: 'DF', options: [7, 7, 4, 0, 0, 0, 0] }).udp({ sport: 9, dport: 9 }).payload('opt') },
  { name: 'ipv4 first fragment', frame: eth(A).ipv4({ src: CIP, dst: VIP, flags: 'MF', id: 77 }).udp({ sport: 9, dport: 9, length: 1000 }).payload('part one') },
];
