// The one-arm labs of the operator scenarios (docs: shared/references/scenarios.md) as config
// scripts: S5 direct routing (IPv4 and an IPv6 twin) and S6 tunnels, shared by several suites.

import { MAC } from '../support/exact.js';

export interface DrLab {
  name: string;
  config: string;
  cip: string;
  vip: string;
  rs1: string;
  v6: boolean;
}

/** S5 with its two real servers; TCP 80 over both, UDP 53 to the first. */
function drConfig(local: string, vip: string, cip: string, rs1: string, rs2: string): string {
  const b = (a: string) => (a.includes(':') ? `[${a}]` : a);
  return `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip addr add ${local} dev dpdk0
tsip neigh add ${cip} lladdr ${MAC.client} dev dpdk0
tsip neigh add ${rs1} lladdr ${MAC.rs1} dev dpdk0
tsip neigh add ${rs2} lladdr ${MAC.rs2} dev dpdk0
tsvsadm -A -t ${b(vip)}:80 -s rr
tsvsadm -a -t ${b(vip)}:80 -r ${b(rs1)} -g
tsvsadm -a -t ${b(vip)}:80 -r ${b(rs2)} -g
tsvsadm -A -u ${b(vip)}:53 -s rr
tsvsadm -a -u ${b(vip)}:53 -r ${b(rs1)} -g
`;
}

export const S5: DrLab = {
  name: 'IPv4', cip: '192.168.100.26', vip: '192.168.100.254', rs1: '192.168.100.2', v6: false,
  config: drConfig('192.168.100.1/24', '192.168.100.254', '192.168.100.26', '192.168.100.2', '192.168.100.3'),
};

export const S5_V6: DrLab = {
  name: 'IPv6', cip: '2001:db8:100::26', vip: '2001:db8:100::254', rs1: '2001:db8:100::2', v6: true,
  config: drConfig('2001:db8:100::1/64', '2001:db8:100::254', '2001:db8:100::26', '2001:db8:100::2', '2001:db8:100::3'),
};

/** S6's addresses: the client, the VIP, tsvs's tunnel address and the two real servers. */
export const S6_ADDR = {
  cip: '10.138.85.23', vip: '10.140.31.48', local: '10.140.16.48', rs1: '10.140.18.33', rs2: '10.40.84.170', gw: '10.140.31.254',
} as const;

const { vip, local, rs1, rs2, gw } = S6_ADDR;

/** S6 as written, plus services for GRE (with and without checksum), GUE and UDP over IPIP. */
export const S6_SERVICES = `
tsip route add default via ${gw} src ${local} dev dpdk0
tsip neigh add ${gw} lladdr ${MAC.router} dev dpdk0
tsip neigh add ${rs1} lladdr ${MAC.rs1} dev dpdk0
tsvsadm -A -t ${vip}:80 -s rr
tsvsadm -a -t ${vip}:80 -r ${rs1} -i
tsvsadm -a -t ${vip}:80 -r ${rs2} -i
tsvsadm -A -t ${vip}:443 -s rr
tsvsadm -a -t ${vip}:443 -r ${rs1} -i --tun-type gre
tsvsadm -A -t ${vip}:444 -s rr
tsvsadm -a -t ${vip}:444 -r ${rs1} -i --tun-type gre --tun-csum
tsvsadm -A -u ${vip}:443 -s rr
tsvsadm -a -u ${vip}:443 -r ${rs2} -i --tun-type gue --tun-port 6080
tsvsadm -A -u ${vip}:53 -s rr
tsvsadm -a -u ${vip}:53 -r ${rs1} -i
`;

export const S6 = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip addr add ${local}/20 dev dpdk0
tsip addr add ${vip}/32 dev dpdk0
${S6_SERVICES}`;
