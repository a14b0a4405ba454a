// The operators' scenarios S1 (FullNAT), S5 (DR) and S6 (tunnel) as replay configs: each scenario's
// lines exactly as printed in scenarios.md, plus only what replay needs (ports, neighbours, an address).

const S1_LINES = `tsip addr add 10.0.0.100/32 dev dpdk1
tsip route add 10.0.0.0/16 dev dpdk1
tsip route add 192.168.100.0/24 dev dpdk0
tsvsadm -A -t 10.0.0.100:80 -s rr
tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.2 -b      # -b = FullNAT
tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.3 -b
tsvsadm --add-laddr -z 192.168.100.200 -t 10.0.0.100:80 -F dpdk0
`;

export const S1_MAC = { lan: '02:00:00:00:00:01', wan: '02:00:00:00:00:02', client: '02:00:00:00:00:30', rs2: '02:00:00:00:01:02', rs3: '02:00:00:00:01:03' };

/** S1 plus the ports; neighbours are learnt from ARP in the captures (the client asks for the VIP, the RSs answer). */
export const S1_CONFIG = `tsip link add dpdk0 lladdr ${S1_MAC.lan}
tsip link add dpdk1 lladdr ${S1_MAC.wan}
${S1_LINES}`;

const S5_LINES = `tsvsadm -A -t 192.168.100.254:80 -s rr
tsvsadm -a -t 192.168.100.254:80 -r 192.168.100.2 -g
tsvsadm -a -t 192.168.100.254:80 -r 192.168.100.3 -g
`;

export const S5_MAC = { lb: '02:00:00:00:00:01', client: '02:00:00:00:00:1a', rs2: '02:00:00:00:01:02', rs3: '02:00:00:00:01:03' };

/**
 * S5 plus the port and tsvs's own address on it (192.168.100.1, which the scenario names in prose
 * and which the ARP requests towards the real servers come from).
 */
export const S5_CONFIG = `tsip link add dpdk0 lladdr ${S5_MAC.lb}
tsip addr add 192.168.100.1/24 dev dpdk0
${S5_LINES}`;

const S6_LINES = `tsip addr add 10.140.16.48/20 dev dpdk0
tsip addr add 10.140.31.48/32 dev dpdk0
tsip route add default via 10.140.31.254 src 10.140.16.48 dev dpdk0
tsvsadm -A -t 10.140.31.48:80 -s rr
tsvsadm -a -t 10.140.31.48:80 -r 10.140.18.33 -i
tsvsadm -a -t 10.140.31.48:80 -r 10.40.84.170 -i
`;

export const S6_MAC = { lb: '02:00:00:00:00:01', gw: '02:00:00:00:00:fe', rs1: '02:00:00:00:12:21' };

/** S6 plus the port and static neighbours: the gateway and the real server on our /20. */
export const S6_CONFIG = `tsip link add dpdk0 lladdr ${S6_MAC.lb}
${S6_LINES}tsip neigh add 10.140.31.254 lladdr ${S6_MAC.gw} dev dpdk0
tsip neigh add 10.140.18.33 lladdr ${S6_MAC.rs1} dev dpdk0
`;
