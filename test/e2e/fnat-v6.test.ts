// End to end, FullNAT over IPv6 (issue 3, "End to end" item 2): an IPv6 client, VIP, LIP and
// nginx real servers in network namespaces, through `tsvs daemon` on the afpacket driver.

import { E2E_WORKERS, lbSuite } from './lb-suite.js';

/** S1's lines in IPv6 (the lab's plan: 2001:db8::/64 outside, 2001:db8:100::/64 inside). */
const LINES = [
  'tsip addr add 2001:db8::100/128 dev dpdk1',
  'tsip route add 2001:db8::/64 dev dpdk1',
  'tsip route add 2001:db8:100::/64 dev dpdk0',
  'tsvsadm -A -t [2001:db8::100]:80 -s rr',
  'tsvsadm -a -t [2001:db8::100]:80 -r [2001:db8:100::2]:80 -b',
  'tsvsadm -a -t [2001:db8::100]:80 -r [2001:db8:100::3]:80 -b',
  'tsvsadm --add-laddr -z 2001:db8:100::200 -t [2001:db8::100]:80 -F dpdk0',
];

for (const workers of E2E_WORKERS) {
  lbSuite({ title: 'FullNAT IPv6 two-arm', lab: { clientAf: 6, serverAf: 6 }, lines: LINES, seen: 'lip' }, workers);
}
