// The operators' scenarios S1 (FullNAT), S5 (DR) and S6 (tunnel) as replay configs: each scenario's
// lines exactly as printed in scenarios.md, plus only what replay needs (ports, neighbours, an address).

import { S1, S5, S6 } from '../support/scenarios.js';

export const S1_MAC = { lan: '02:00:00:00:00:01', wan: '02:00:00:00:00:02', client: '02:00:00:00:00:30', rs2: '02:00:00:00:01:02', rs3: '02:00:00:00:01:03' };

/** S1 plus the ports; neighbours are learnt from ARP in the captures (the client asks for the VIP, the RSs answer). */
export const S1_CONFIG = `tsip link add dpdk0 lladdr ${S1_MAC.lan}
tsip link add dpdk1 lladdr ${S1_MAC.wan}
${S1}`;

export const S5_MAC = { lb: '02:00:00:00:00:01', client: '02:00:00:00:00:1a', rs2: '02:00:00:00:01:02', rs3: '02:00:00:00:01:03' };

/**
 * S5 plus the port and tsvs's own address on it (192.168.100.1, which the scenario names in prose
 * and which the ARP requests towards the real servers come from).
 */
export const S5_CONFIG = `tsip link add dpdk0 lladdr ${S5_MAC.lb}
tsip addr add 192.168.100.1/24 dev dpdk0
${S5}`;

export const S6_MAC = { lb: '02:00:00:00:00:01', gw: '02:00:00:00:00:fe', rs1: '02:00:00:00:12:21' };

/** S6 plus the port and static neighbours: the gateway and the real server on our /20. */
export const S6_CONFIG = `tsip link add dpdk0 lladdr ${S6_MAC.lb}
${S6}tsip neigh add 10.140.31.254 lladdr ${S6_MAC.gw} dev dpdk0
tsip neigh add 10.140.18.33 lladdr ${S6_MAC.rs1} dev dpdk0
`;
