// End to end, NAT64 (issue 3, "End to end" item 2): an IPv6 client and VIP, FullNAT to IPv4 nginx
// real servers from an IPv4 LIP, through `tsvs daemon` on the afpacket driver in namespaces.

import { E2E_WORKERS, lbSuite } from './lb-suite.js';

/** An IPv6 VIP whose real servers and LIP are S1's IPv4 ones (a FullNAT dest of the other family). */
const LINES = [
  'tsip addr add 2001:db8::100/128 dev dpdk1',
  'tsip route add 2001:db8::/64 dev dpdk1',
  'tsip route add 192.168.100.0/24 dev dpdk0',
  'tsvsadm -A -t [2001:db8::100]:80 -s rr',
  'tsvsadm -a -t [2001:db8::100]:80 -r 192.168.100.2:80 -b',
  'tsvsadm -a -t [2001:db8::100]:80 -r 192.168.100.3:80 -b',
  'tsvsadm --add-laddr -z 192.168.100.200 -t [2001:db8::100]:80 -F dpdk0',
];

for (const workers of E2E_WORKERS) {
  lbSuite({ title: 'NAT64 (IPv6 VIP, IPv4 real servers)', lab: { clientAf: 6, serverAf: 4 }, lines: LINES, seen: 'lip' }, workers);
}
