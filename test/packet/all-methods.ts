// One engine set up for every forwarding method (FullNAT v4/v6/NAT64, NAT, DR, IPIP/GRE/GUE tunnels),
// and a pool of valid frames of every kind it handles, in an order that sets up the conversations.

import { eth, ipv4, ipv6, type PacketBuilder } from '../support/builder.js';

export const MAC = {
  lan: '02:00:00:00:00:01', wan: '02:00:00:00:00:02', client: '02:00:00:00:00:30', router: '02:00:00:00:00:fe',
  rs: '02:00:00:00:01:02',
} as const;

export const VIP = { fnat: '10.0.0.100', nat: '10.0.0.101', dr: '10.0.0.102', tun: '10.0.0.103', fnat6: '2001:db8::100', nat64: '2001:db8::64' } as const;
export const CIP = '10.0.0.48';
export const CIP6 = '2001:db8::30';
export const LIP = '192.168.100.200';
export const LIP6 = 'fd00::200';

/** The WAN port dpdk1 faces the clients, the LAN port dpdk0 the real servers. Static neighbours. */
export const CONFIG = `tsip link add dpdk0 lladdr ${MAC.lan}
tsip link add dpdk1 lladdr ${MAC.wan}
tsip addr add 192.168.100.1/24 dev dpdk0
tsip addr add 10.0.0.1/16 dev dpdk1
tsip addr add 2001:db8::1/64 dev dpdk1
tsip addr add fd00::1/64 dev dpdk0
tsip route add 172.16.0.0/16 via 192.168.100.254 dev dpdk0
tsip route add 192.168.100.2/32 dev dpdk0 mtu 1400
tsip neigh add ${CIP} lladdr ${MAC.client} dev dpdk1
tsip neigh add ${CIP6} lladdr ${MAC.client} dev dpdk1
tsip neigh add 192.168.100.254 lladdr ${MAC.router} dev dpdk0
tsip neigh add 192.168.100.2 lladdr ${MAC.rs} dev dpdk0
tsip neigh add 192.168.100.4 lladdr ${MAC.rs} dev dpdk0
tsip neigh add 192.168.100.5 lladdr ${MAC.rs} dev dpdk0
tsip neigh add fd00::2 lladdr ${MAC.rs} dev dpdk0
tsvsadm -A -t ${VIP.fnat}:80 -s rr
tsvsadm -a -t ${VIP.fnat}:80 -r 192.168.100.2 -b
tsvsadm --add-laddr -z ${LIP} -t ${VIP.fnat}:80 -F dpdk0
tsvsadm -A -u ${VIP.fnat}:53 -s rr
tsvsadm -a -u ${VIP.fnat}:53 -r 192.168.100.2 -b
tsvsadm --add-laddr -z ${LIP} -u ${VIP.fnat}:53 -F dpdk0
tsvsadm -A -t [${VIP.fnat6}]:80 -s rr
tsvsadm -a -t [${VIP.fnat6}]:80 -r [fd00::2]:80 -b
tsvsadm --add-laddr -z ${LIP6} -t [${VIP.fnat6}]:80 -F dpdk0
tsvsadm -A -u [${VIP.fnat6}]:53 -s rr
tsvsadm -a -u [${VIP.fnat6}]:53 -r [fd00::2]:53 -b
tsvsadm --add-laddr -z ${LIP6} -u [${VIP.fnat6}]:53 -F dpdk0
tsvsadm -A -t [${VIP.nat64}]:80 -s rr
tsvsadm -a -t [${VIP.nat64}]:80 -r 192.168.100.2:8080 -b
tsvsadm --add-laddr -z ${LIP} -t [${VIP.nat64}]:80 -F dpdk0
tsvsadm -A -t ${VIP.nat}:80 -s rr
tsvsadm -a -t ${VIP.nat}:80 -r 192.168.100.4:8080 -m
tsvsadm -A -t ${VIP.dr}:80 -s rr
tsvsadm -a -t ${VIP.dr}:80 -r 192.168.100.5 -g
tsvsadm -A -t ${VIP.tun}:80 -s rr
tsvsadm -a -t ${VIP.tun}:80 -r 172.16.0.6 -i
tsvsadm -A -u ${VIP.tun}:53 -s rr
tsvsadm -a -u ${VIP.tun}:53 -r 172.16.0.7 -i --tun-type gue --tun-port 6080
tsvsadm -A -u ${VIP.tun}:54 -s rr
tsvsadm -a -u ${VIP.tun}:54 -r 172.16.0.8 -i --tun-type gre --tun-csum
`;

export interface PoolFrame {
  desc: string;
  port: 'dpdk0' | 'dpdk1';
  frame: PacketBuilder;
  /** Where tsvs sends it (or its answer): out of a port, up to the kernel, or nowhere (learnt from). */
  to: 'dpdk0' | 'dpdk1' | 'kernel' | 'nowhere';
  /** The drop counted when the answer is an ICMP error instead of the frame. */
  drop?: string;
}

const fromClient = eth({ src: MAC.client, dst: MAC.wan });
const fromRs = eth({ src: MAC.rs, dst: MAC.lan });
const c4 = (vip: string) => fromClient.ipv4({ src: CIP, dst: vip, flags: 'DF' });
const c6 = (vip: string) => fromClient.ipv6({ src: CIP6, dst: vip });
const SYN_OPTIONS = [{ kind: 'mss', value: 1460 }, { kind: 'sackok' }, { kind: 'ts', val: 5, ecr: 0 }, { kind: 'nop' }, { kind: 'wscale', value: 7 }] as const;

/** What the FullNAT RS saw of the client's first connection, quoted in its ICMP error. */
const rsQuote = ipv4({ src: LIP, dst: '192.168.100.2' }).tcp({ sport: 1025, dport: 80, flags: 'PA', seq: 77, ack: 5001 }).payload('GET');
/** What the client got from the VIP, quoted in a router's ICMP error. */
const clientQuote = ipv4({ src: VIP.fnat, dst: CIP }).tcp({ sport: 80, dport: 40000, flags: 'PA', seq: 5001, ack: 1019 });

/**
 * Valid frames of every kind, in conversation order: fed in this order to a fresh engine, each
 * meets the state the earlier ones made (the RSs answer the local ports tsvs hands out in this order).
 */
export const POOL: readonly PoolFrame[] = [
  { desc: 'ARP who-has the VIP', port: 'dpdk1', to: 'dpdk1', frame: eth({ src: MAC.client, dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: 'request', sha: MAC.client, spa: CIP, tpa: VIP.fnat }) },
  { desc: 'ARP reply from a RS', port: 'dpdk0', to: 'nowhere', frame: fromRs.arp({ op: 'reply', sha: MAC.rs, spa: '192.168.100.2', tha: MAC.lan, tpa: '192.168.100.1' }) },
  { desc: 'FullNAT SYN', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.fnat).tcp({ sport: 40000, dport: 80, flags: 'S', seq: 1000, options: [...SYN_OPTIONS] }) },
  { desc: 'FullNAT SYN-ACK', port: 'dpdk0', to: 'dpdk1', frame: fromRs.ipv4({ src: '192.168.100.2', dst: LIP }).tcp({ sport: 80, dport: 1025, flags: 'SA', seq: 5000, ack: 77, options: [{ kind: 'mss', value: 1460 }, { kind: 'sackok' }] }) },
  { desc: 'FullNAT ACK (TOA)', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.fnat).tcp({ sport: 40000, dport: 80, flags: 'A', seq: 1001, ack: 5001 }) },
  { desc: 'FullNAT request', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.fnat).tcp({ sport: 40000, dport: 80, flags: 'PA', seq: 1001, ack: 5001 }).payload('GET / HTTP/1.0\r\n\r\n') },
  { desc: 'FullNAT response with SACK', port: 'dpdk0', to: 'dpdk1', frame: fromRs.ipv4({ src: '192.168.100.2', dst: LIP }).tcp({ sport: 80, dport: 1025, flags: 'PA', seq: 5001, ack: 95, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[80, 90]] }] }).payload('HTTP/1.0 200 OK\r\n\r\n') },
  {
    desc: 'FullNAT request too big for the path to the RS (MTU 1400), DF: frag-needed', port: 'dpdk1', to: 'dpdk1', drop: 'frag_needed',
    frame: c4(VIP.fnat).tcp({ sport: 40000, dport: 80, flags: 'PA', seq: 1019, ack: 5020 }).payload('x'.repeat(1400)),
  },
  { desc: 'FullNAT SYN with IPv4 options', port: 'dpdk1', to: 'dpdk0', frame: fromClient.ipv4({ src: CIP, dst: VIP.fnat, options: [0x94, 4, 0, 0] }).tcp({ sport: 40001, dport: 80, flags: 'S', seq: 3000 }) },
  { desc: 'FullNAT SYN over VLAN 7', port: 'dpdk1', to: 'dpdk0', frame: eth({ src: MAC.client, dst: MAC.wan, vlan: 7 }).ipv4({ src: CIP, dst: VIP.fnat }).tcp({ sport: 40002, dport: 80, flags: 'S', seq: 4000 }) },
  { desc: 'frag-needed from a router about the response', port: 'dpdk1', to: 'dpdk0', frame: fromClient.ipv4({ src: '10.0.0.254', dst: VIP.fnat }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: clientQuote, quoteLen: 28 }) },
  { desc: 'port unreachable from the RS about the request', port: 'dpdk0', to: 'dpdk1', frame: fromRs.ipv4({ src: '192.168.100.2', dst: LIP }).icmp({ type: 'dest-unreach', code: 3, quote: rsQuote }) },
  { desc: 'FullNAT UDP query', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.fnat).udp({ sport: 5353, dport: 53 }).payload('query') },
  { desc: 'FullNAT UDP answer', port: 'dpdk0', to: 'dpdk1', frame: fromRs.ipv4({ src: '192.168.100.2', dst: LIP }).udp({ sport: 53, dport: 1025 }).payload('answer') },
  { desc: 'FullNAT UDP without checksum', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.fnat).udp({ sport: 5354, dport: 53, checksum: 0 }).payload('no sum') },
  { desc: 'FullNAT v6 SYN with extension headers', port: 'dpdk1', to: 'dpdk0', frame: fromClient.ipv6({ src: CIP6, dst: VIP.fnat6, ext: [{ kind: 'hbh', options: [1, 0] }, { kind: 'dstopts' }] }).tcp({ sport: 41000, dport: 80, flags: 'S', seq: 1000, options: [{ kind: 'mss', value: 1440 }] }) },
  { desc: 'FullNAT v6 SYN-ACK', port: 'dpdk0', to: 'dpdk1', frame: fromRs.ipv6({ src: 'fd00::2', dst: LIP6 }).tcp({ sport: 80, dport: 1025, flags: 'SA', seq: 9000, ack: 1, options: [{ kind: 'mss', value: 1440 }] }) },
  { desc: 'FullNAT v6 ACK (TOA v6)', port: 'dpdk1', to: 'dpdk0', frame: c6(VIP.fnat6).tcp({ sport: 41000, dport: 80, flags: 'A', seq: 1001, ack: 9001 }) },
  { desc: 'packet-too-big from the RS side', port: 'dpdk0', to: 'dpdk1', frame: fromRs.ipv6({ src: 'fd00::2', dst: LIP6 }).icmpv6({ type: 'packet-too-big', mtu: 1280, quote: ipv6({ src: LIP6, dst: 'fd00::2' }).tcp({ sport: 1025, dport: 80, flags: 'A', seq: 5, ack: 9001 }) }) },
  { desc: 'NAT64 SYN', port: 'dpdk1', to: 'dpdk0', frame: c6(VIP.nat64).tcp({ sport: 42000, dport: 80, flags: 'S', seq: 1000, options: [{ kind: 'mss', value: 1440 }] }) },
  { desc: 'NAT64 SYN-ACK', port: 'dpdk0', to: 'dpdk1', frame: fromRs.ipv4({ src: '192.168.100.2', dst: LIP }).tcp({ sport: 8080, dport: 1028, flags: 'SA', seq: 7000, ack: 1 }) },
  { desc: 'NAT SYN', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.nat).tcp({ sport: 43000, dport: 80, flags: 'S', seq: 1000 }) },
  { desc: 'NAT SYN-ACK', port: 'dpdk0', to: 'dpdk1', frame: fromRs.ipv4({ src: '192.168.100.4', dst: CIP }).tcp({ sport: 8080, dport: 43000, flags: 'SA', seq: 6000, ack: 1001 }) },
  { desc: 'NAT request', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.nat).tcp({ sport: 43000, dport: 80, flags: 'PA', seq: 1001, ack: 6001 }).payload('GET /nat') },
  { desc: 'DR SYN', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.dr).tcp({ sport: 44000, dport: 80, flags: 'S', seq: 1000 }) },
  { desc: 'DR request', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.dr).tcp({ sport: 44000, dport: 80, flags: 'PA', seq: 1001, ack: 1 }).payload('GET /dr') },
  { desc: 'IPIP tunnel SYN', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.tun).tcp({ sport: 45000, dport: 80, flags: 'S', seq: 1000 }) },
  { desc: 'GUE tunnel datagram', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.tun).udp({ sport: 45001, dport: 53 }).payload('gue') },
  { desc: 'GRE tunnel datagram', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.tun).udp({ sport: 45002, dport: 54 }).payload('gre') },
  { desc: 'echo request to the VIP', port: 'dpdk1', to: 'dpdk1', frame: c4(VIP.fnat).icmp({ type: 'echo-request', id: 1, seq: 1, data: 'ping' }) },
  { desc: 'echo request to the v6 VIP', port: 'dpdk1', to: 'dpdk1', frame: c6(VIP.fnat6).icmpv6({ type: 'echo-request', id: 2, seq: 1, data: 'ping6' }) },
  { desc: 'neighbour solicitation for the v6 VIP', port: 'dpdk1', to: 'dpdk1', frame: eth({ src: MAC.client, dst: '33:33:ff:00:01:00' }).ipv6({ src: CIP6, dst: 'ff02::1:ff00:100', hlim: 255 }).icmpv6({ type: 'ns', target: VIP.fnat6, sll: MAC.client }) },
  { desc: 'neighbour advertisement from the RS', port: 'dpdk0', to: 'nowhere', frame: fromRs.ipv6({ src: 'fd00::2', dst: 'fd00::1', hlim: 255 }).icmpv6({ type: 'na', target: 'fd00::2', tll: MAC.rs, solicited: true, override: true }) },
  { desc: 'TCP to our own address (the kernel\'s)', port: 'dpdk1', to: 'kernel', frame: c4('10.0.0.1').tcp({ sport: 46000, dport: 22, flags: 'S' }) },
  { desc: 'a frame that is not IP', port: 'dpdk1', to: 'kernel', frame: fromClient.payload('not ip at all') },
  { desc: 'FullNAT client FIN', port: 'dpdk1', to: 'dpdk0', frame: c4(VIP.fnat).tcp({ sport: 40000, dport: 80, flags: 'FA', seq: 1019, ack: 5020 }) },
  { desc: 'FullNAT RS reset', port: 'dpdk0', to: 'dpdk1', frame: fromRs.ipv4({ src: '192.168.100.2', dst: LIP }).tcp({ sport: 80, dport: 1025, flags: 'R', seq: 5020 }) },
];
