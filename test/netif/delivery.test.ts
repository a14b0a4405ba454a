// Where a frame goes when it is not a load-balanced flow: other MACs are dropped, `scope kni_host`
// /32s and interface addresses go to the kernel, VIP/LIP leftovers are dropped, not answered.

import { test } from 'node:test';
import { eth } from '../support/builder.js';
import { MAC, converse } from '../support/exact.js';

const LAB = `
tsip link add dpdk0 lladdr ${MAC.dpdk0}
tsip link add dpdk1 lladdr ${MAC.dpdk1}
tsip addr add 10.0.0.1/16 dev dpdk1
tsip addr add 192.168.100.1/24 dev dpdk0
tsip neigh add 10.0.0.48 lladdr ${MAC.client} dev dpdk1
tsip neigh add 10.0.0.5 lladdr ${MAC.other} dev dpdk1
tsip neigh add 192.168.100.2 lladdr ${MAC.rs1} dev dpdk0
tsvsadm -A -t 10.0.0.100:80 -s rr
tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.2 -b
tsvsadm --add-laddr -z 192.168.100.200 -t 10.0.0.100:80 -F dpdk0
tsvs set ipv4_defs.forwarding 1
`;

const fromClient = (dst: string, dstMac: string = MAC.dpdk1) => eth({ src: MAC.client, dst: dstMac }).ipv4({ src: '10.0.0.48', dst, ttl: 64 });
const ssh = (dst: string) => fromClient(dst).tcp({ sport: 50000, dport: 22, flags: 'S', seq: 1 });
const ping = (dst: string, dstMac?: string) => fromClient(dst, dstMac).icmp({ type: 'echo-request', id: 9, seq: 1, data: 'ping' });
const pong = (src: string) => eth({ src: MAC.dpdk1, dst: MAC.client }).ipv4({ src, dst: '10.0.0.48', ttl: 64 }).icmp({ type: 'echo-reply', id: 9, seq: 1, data: 'ping' });

test('frames for another unicast MAC are dropped as not_for_us; broadcast ones are read', () => {
  converse(LAB, [
    { desc: 'ping of our address sent to another MAC', in: { port: 'dpdk1', frame: ping('10.0.0.1', MAC.other) }, drop: 'not_for_us', out: [] },
    { desc: 'the same ping to the broadcast MAC is answered', in: { port: 'dpdk1', frame: ping('10.0.0.1', MAC.bcast) }, out: [{ port: 'dpdk1', frame: pong('10.0.0.1') }] },
  ]);
});

test('local traffic: an interface address goes up to the kernel; a VIP or LIP without a service or connection is dropped', () => {
  const lldp = eth({ src: MAC.other, dst: '01:80:c2:00:00:0e', type: 0x88cc }).payload(new Uint8Array([2, 7, 4, 0, 0, 0, 0, 0, 1]));
  converse(LAB, [
    { desc: 'ssh to the interface address', in: { port: 'dpdk1', frame: ssh('10.0.0.1') }, out: [{ port: 'dpdk1', kernel: true, frame: ssh('10.0.0.1') }] },
    { desc: 'ssh to the VIP (no service on port 22)', in: { port: 'dpdk1', frame: ssh('10.0.0.100') }, drop: 'no_service', out: [] },
    { desc: 'ssh to the LIP (no connection)', in: { port: 'dpdk1', frame: ssh('192.168.100.200') }, drop: 'no_service', out: [] },
    { desc: 'a frame that is not IP (LLDP) goes up', in: { port: 'dpdk1', frame: lldp }, out: [{ port: 'dpdk1', kernel: true, frame: lldp }] },
  ]);
});

test('`scope kni_host` /32 routes hand an address\'s traffic to the kernel, ahead of forwarding and local answers', () => {
  const steps = (kni: boolean) => [
    {
      desc: `ssh to 10.0.0.5 (a host on dpdk1's subnet)${kni ? ', kni_host' : ', forwarded'}`,
      in: { port: 'dpdk1', frame: ssh('10.0.0.5') },
      out: kni ? [{ port: 'dpdk1', kernel: true, frame: ssh('10.0.0.5') }]
        : [{ port: 'dpdk1', frame: eth({ src: MAC.dpdk1, dst: MAC.other }).ipv4({ src: '10.0.0.48', dst: '10.0.0.5', ttl: 63 }).tcp({ sport: 50000, dport: 22, flags: 'S', seq: 1 }) }],
    },
    {
      desc: `ping of our 10.0.0.1${kni ? ', kni_host' : ''}`,
      in: { port: 'dpdk1', frame: ping('10.0.0.1') },
      out: kni ? [{ port: 'dpdk1', kernel: true, frame: ping('10.0.0.1') }] : [{ port: 'dpdk1', frame: pong('10.0.0.1') }],
    },
  ];
  converse(LAB, steps(false));
  converse(`${LAB}
tsip route add 10.0.0.5/32 scope kni_host dev dpdk1
tsip route add 10.0.0.1/32 scope kni_host dev dpdk1
`, steps(true));
});
