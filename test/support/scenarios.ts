// The operators' scenarios S1 (FullNAT), S5 (DR) and S6 (tunnel): their config lines exactly as
// printed in scenarios.md (the steering repo's references), for the tests that must take them as is.

export const S1 = `tsip addr add 10.0.0.100/32 dev dpdk1
tsip route add 10.0.0.0/16 dev dpdk1
tsip route add 192.168.100.0/24 dev dpdk0
tsvsadm -A -t 10.0.0.100:80 -s rr
tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.2 -b      # -b = FullNAT
tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.3 -b
tsvsadm --add-laddr -z 192.168.100.200 -t 10.0.0.100:80 -F dpdk0
`;

export const S5 = `tsvsadm -A -t 192.168.100.254:80 -s rr
tsvsadm -a -t 192.168.100.254:80 -r 192.168.100.2 -g
tsvsadm -a -t 192.168.100.254:80 -r 192.168.100.3 -g
`;

export const S6 = `tsip addr add 10.140.16.48/20 dev dpdk0
tsip addr add 10.140.31.48/32 dev dpdk0
tsip route add default via 10.140.31.254 src 10.140.16.48 dev dpdk0
tsvsadm -A -t 10.140.31.48:80 -s rr
tsvsadm -a -t 10.140.31.48:80 -r 10.140.18.33 -i
tsvsadm -a -t 10.140.31.48:80 -r 10.40.84.170 -i
`;
