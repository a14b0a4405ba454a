// The native generator: trafgen (netsniff-ng) in the generator namespace, one sender on GEN_CPU,
// qdisc bypass; frames randomised per packet over a fixed set of flows.
//
// Why sendto (`-t 0`) and not trafgen's PACKET_MMAP TX ring: a frame sent on veth stays charged to
// the sender's socket until it is freed (at the sink, or where a forwarder drops it), and once the
// receive side runs on another CPU (RPS, below) the ring's flush outruns the socket's send buffer:
// sendmsg fails with EAGAIN and trafgen exits. Blocking sendto waits instead. Consequence: when a
// forwarder passes the sender's own skb along (the kernel's routing and DNAT do), the generator is
// paced by it (no loss, offered = what it took); tsvs receives a copy (AF_PACKET) while the kernel
// drops the original at once, so tsvs is offered the generator's full rate and may lose frames.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchTopology, GEN_CPU, TCP_PORT, UDP_PORT, VIP } from './topology.js';

export type Kind = 'udp' | 'syn';

/**
 * Flows: 16 client addresses (10.0.1.1-16) x N source ports, drawn at random per packet.
 * UDP: 16 x 256 = 4096 flows, so after the first few thousand packets every one belongs to an
 * existing connection (tsvs) or conntrack entry (nft): the established path. SYN: 16 x 4096 =
 * 65536 flows, so the first ~65k SYNs are new connections, then retransmissions of them; both
 * tables stay far below their size (tsvs 262144 slots per worker, nf_conntrack_max 262144).
 */
export const FLOWS: Record<Kind, { addrs: number; ports: number }> = {
  udp: { addrs: 16, ports: 256 },
  syn: { addrs: 16, ports: 4096 },
};

/** 60-byte frames (64 on a wire with the FCS): 18 bytes of UDP payload; a SYN with its MSS option. */
export function trafgenConfig(kind: Kind, dstMac: string): string {
  const { addrs, ports } = FLOWS[kind];
  const ip = `ipv4(saddr=10.0.1.1, saddr[3]=drnd(1, ${addrs}), daddr=${VIP}, ttl=64, df)`;
  const sport = `sp=drnd(10000, ${10000 + ports - 1})`;
  const l4 = kind === 'udp'
    ? `udp(${sport}, dp=${UDP_PORT}), fill(0, 18)`
    // doff 6: the 4-byte MSS option (kind 2, len 4, 1460) every real SYN carries, then 2 bytes
    // of padding up to 60 bytes would be junk, so the frame is 58 bytes.
    : `tcp(${sport}, dp=${TCP_PORT}, seq=drnd(), syn, win=64240, doff=6), 0x02, 0x04, c16(1460)`;
  return `{ eth(da=${dstMac}), ${ip}, ${l4} }\n`;
}

function configFile(topo: BenchTopology, kind: Kind): string {
  const f = join(topo.dir, `${kind}.trafgen`);
  writeFileSync(f, trafgenConfig(kind, topo.fwdInMac()));
  return f;
}

const BASE = (topo: BenchTopology, conf: string): string[] => ['-o', topo.dev.gen, '-i', conf, '-P', '1', '--no-sock-mem', '-C', '-Q'];


/** Runs the generator flat out for `ms`, then stops it (SIGINT: it prints its statistics). */
export async function generate(topo: BenchTopology, kind: Kind, ms: number): Promise<void> {
  const g = topo.start(topo.ns.gen, [GEN_CPU], 'trafgen', [...BASE(topo, configFile(topo, kind)), '-t', '0']);
  const exited = new Promise<number | null>((r) => g.child.once('exit', (code) => r(code)));
  const early = await Promise.race([exited, new Promise<'ran'>((r) => setTimeout(() => r('ran'), ms))]);
  if (early !== 'ran') throw new Error(`trafgen exited early (${early}): ${g.err()}`);
  await topo.stop(g.child, 'SIGINT');
}

/** Sends exactly `count` frames at `pps` (trafgen's sendto mode) and waits until it is done. */
export async function generateCount(topo: BenchTopology, kind: Kind, count: number, pps: number): Promise<void> {
  const g = topo.start(topo.ns.gen, [GEN_CPU], 'trafgen', [...BASE(topo, configFile(topo, kind)), '-n', String(count), '-b', `${pps}pps`]);
  const code = await new Promise<number | null>((r) => g.child.once('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`trafgen -n ${count} failed (${code}): ${g.err()}`);
}
