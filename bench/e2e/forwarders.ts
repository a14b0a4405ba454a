// What runs in the forwarder namespace, one at a time on the same topology: nothing (the sink's
// control), the kernel's routing, nftables DNAT (numgen), tsvs daemon (afpacket; NAT or FullNAT,
// N workers), HAProxy (mode tcp). Each knows how to start, which process to measure, and how to
// leave the namespace as it found it.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchTopology, SERVERS, TCP_PORT, UDP_PORT, VIP } from './topology.js';

const TSVS_CLI = fileURLToPath(new URL('../../src/cli/tsvs.js', import.meta.url));
/** FullNAT local addresses: four LIPs, so ~250k local ports for the conns/s run's TIME_WAITs. */
export const LIPS = ['192.168.100.200', '192.168.100.201', '192.168.100.202', '192.168.100.203'];
/** NAT mode: tsvs's own address on the servers' side (the servers' gateway in a NAT setup). */
const NAT_GW = '192.168.100.254';

/** A forwarder that would not start (tsvs refusing a configuration): its row reads "n/a". */
export class Refused extends Error {}

export interface Forwarder {
  readonly id: string;
  readonly label: string;
  /** CPUs it runs on (threads or softirq work steered there). */
  readonly cpuCount: number;
  /** It serves the HTTP conns/s run (VIP:80 over the servers' nginx). */
  readonly http: boolean;
  start(topo: BenchTopology, cpus: number[]): Promise<void>;
  /** The process whose own CPU time is reported (none for the kernel). */
  pid(): number | undefined;
  stop(topo: BenchTopology): Promise<void>;
}

/** Kernel forwarding on or off in the forwarder namespace (rp_filter off: sources are random). */
function kernelForwarding(topo: BenchTopology, on: boolean): void {
  topo.sysctl(topo.ns.fwd, `net.ipv4.ip_forward=${on ? 1 : 0}`, 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0');
}

/** Nothing runs, kernel forwarding off: the sink must count 0 (checks the sink, not a forwarder). */
export const nothing: Forwarder = {
  id: 'none', label: 'nothing (forwarding off)', cpuCount: 1, http: false,
  async start(topo) {
    kernelForwarding(topo, false);
  },
  pid: () => undefined,
  async stop() {},
};

/** (a) The kernel's plain routing: the VIP is routed to the first server. */
export const kernelRoute: Forwarder = {
  id: 'route', label: 'kernel routing', cpuCount: 1, http: false,
  async start(topo) {
    topo.kernelAddresses(true);
    kernelForwarding(topo, true);
    topo.sh(topo.ns.fwd, 'ip', 'route', 'add', `${VIP}/32`, 'via', SERVERS[0]);
  },
  pid: () => undefined,
  async stop(topo) {
    topo.sh(topo.ns.fwd, 'ip', 'route', 'del', `${VIP}/32`);
    kernelForwarding(topo, false);
    topo.kernelAddresses(false);
  },
};

/**
 * (b) nftables DNAT load balancing, round robin over the servers (`numgen inc`). The nat chain
 * sees a flow's first packet only; conntrack maps the rest, as IPVS's connection table does.
 */
export const nftDnat: Forwarder = {
  id: 'nft', label: 'nftables DNAT (numgen)', cpuCount: 1, http: false,
  async start(topo) {
    topo.kernelAddresses(true);
    kernelForwarding(topo, true);
    const map = SERVERS.map((s, i) => `${i} : ${s}`).join(', ');
    const n = SERVERS.length;
    topo.nft(topo.ns.fwd, `table ip lb {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${VIP} udp dport ${UDP_PORT} dnat to numgen inc mod ${n} map { ${map} }
    ip daddr ${VIP} tcp dport ${TCP_PORT} dnat to numgen inc mod ${n} map { ${map} }
  }
}`);
  },
  pid: () => undefined,
  async stop(topo) {
    topo.nft(topo.ns.fwd, 'delete table ip lb');
    kernelForwarding(topo, false);
    topo.kernelAddresses(false);
  },
};

export type TsvsMethod = 'fnat' | 'nat';

/** The tsvs configuration: UDP VIP:53 and TCP VIP:80, rr over the servers, by `method`. */
export function tsvsLines(method: TsvsMethod): string[] {
  const flag = method === 'fnat' ? '-b' : '-m';
  const lines = [
    `tsip addr add ${VIP}/32 dev dpdk1`,
    'tsip route add 10.0.0.0/16 dev dpdk1',
    'tsip route add 192.168.100.0/24 dev dpdk0',
  ];
  if (method === 'nat') lines.push(`tsip addr add ${NAT_GW}/32 dev dpdk0`);
  for (const svc of [`-u ${VIP}:${UDP_PORT}`, `-t ${VIP}:${TCP_PORT}`]) {
    lines.push(`tsvsadm -A ${svc} -s rr`);
    for (const s of SERVERS) lines.push(`tsvsadm -a ${svc} -r ${s} ${flag}`);
    if (method === 'fnat') for (const l of LIPS) lines.push(`tsvsadm --add-laddr -z ${l} ${svc} -F dpdk0`);
  }
  return lines;
}

/**
 * (c), (d) tsvs daemon, driver afpacket, on the forwarder's in (dpdk1) and out (dpdk0) veths.
 * `ring`: tsvs.conf's `ring { ... }` statements (e.g. `ring_version 3`); the daemon's defaults
 * when empty.
 */
export function tsvs(method: TsvsMethod, workers: number, ring = ''): Forwarder {
  let started: ReturnType<BenchTopology['start']> | null = null;
  return {
    id: `tsvs-${method}-${workers}w`,
    label: `tsvs ${method === 'fnat' ? 'FullNAT' : 'NAT'}, ${workers} worker${workers > 1 ? 's' : ''}`,
    cpuCount: workers,
    http: method === 'fnat',
    async start(topo, cpus) {
      topo.kernelAddresses(false);
      kernelForwarding(topo, false);
      const script = join(topo.dir, `tsvs-${method}.startup`);
      writeFileSync(script, tsvsLines(method).join('\n') + '\n');
      const conf = join(topo.dir, `tsvs-${method}-${workers}.conf`);
      writeFileSync(conf, `global_defs {
    workers ${workers}
    driver afpacket
    control_socket ${join(topo.dir, 'tsvs.sock')}
    conn_pool_size 262144
    startup_script ${script}
}
netif_defs {
    ring {
        ${ring}
    }
    device dpdk0 {
        interface ${topo.dev.fout}
    }
    device dpdk1 {
        interface ${topo.dev.fin}
    }
}
`);
      const s = topo.start(topo.ns.fwd, cpus, process.execPath, [TSVS_CLI, 'daemon', '-f', conf]);
      started = s;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`tsvs daemon not ready after 30 s:\n${s.err()}`)), 30_000);
        const poll = setInterval(() => {
          if (!s.err().includes('"daemon_ready"')) return;
          clearInterval(poll);
          clearTimeout(timer);
          resolve();
        }, 50);
        s.child.once('exit', (code) => {
          clearInterval(poll);
          clearTimeout(timer);
          // Its last stderr line is the reason, e.g. `tsvs: ...: driver afpacket runs 1 worker ...`.
          const last = s.err().trim().split('\n').pop() ?? '';
          reject(new Refused(`${last.replace(/^tsvs: /, '')} (exit ${code})`));
        });
      });
    },
    pid: () => started?.child.pid,
    async stop(topo) {
      if (started) await topo.stop(started.child);
      started = null;
    },
  };
}

/** HAProxy, mode tcp, balance roundrobin, one thread: the kernel's sockets on both sides. */
export function haproxy(): Forwarder {
  let started: ReturnType<BenchTopology['start']> | null = null;
  return {
    id: 'haproxy', label: 'HAProxy (mode tcp, 1 thread)', cpuCount: 1, http: true,
    async start(topo, cpus) {
      topo.kernelAddresses(true);
      kernelForwarding(topo, false);
      topo.sh(topo.ns.fwd, 'ip', 'addr', 'add', `${VIP}/32`, 'dev', topo.dev.fin);
      const conf = join(topo.dir, 'haproxy.cfg');
      // No maxconn: HAProxy derives it from the file-descriptor limit it is given.
      writeFileSync(conf, `global
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend vip
    bind ${VIP}:${TCP_PORT}
    default_backend servers
backend servers
    balance roundrobin
${SERVERS.map((s, i) => `    server rs${i + 1} ${s}:${TCP_PORT}`).join('\n')}
`);
      const s = topo.start(topo.ns.fwd, cpus, 'haproxy', ['-db', '-f', conf]);
      started = s;
      await waitListening(topo, topo.ns.fwd, s);
    },
    pid: () => started?.child.pid,
    async stop(topo) {
      if (started) await topo.stop(started.child);
      started = null;
      topo.kernelAddresses(false);
    },
  };
}

/** Resolves once something listens on TCP :80 in ns; rejects if the process dies first. */
export async function waitListening(topo: BenchTopology, ns: string, s: ReturnType<BenchTopology['start']>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (s.child.exitCode !== null) throw new Error(`exited (${s.child.exitCode}): ${why(s.err())}`);
    if (topo.sh(ns, 'ss', '-Hltn', `sport = :${TCP_PORT}`).trim() !== '') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on :${TCP_PORT} in ${ns} after 10 s: ${why(s.err())}`);
}

/** A failed program's reason from its stderr: its alert or error lines, else its last line. */
function why(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const bad = lines.filter((l) => /alert|emerg|error/i.test(l));
  return (bad.length ? bad : lines.slice(-1)).join('; ');
}
