// The end-to-end bench's namespaces: generator -- forwarder (in and out veths) -- servers, the same
// for every forwarder; it owns their names, addresses, CPU placement, the sink and the cleanup.
//
//   gen ns                fwd ns (what varies: kernel, nft, tsvs, haproxy)          srv ns
//   g<tag> 10.0.0.48/16 ── i<tag> (in)          o<tag> (out) ──────────────── s<tag> 192.168.100.2/24
//   trafgen, wrk                                                                      192.168.100.3/24
//                                                                                 sink: netdev ingress
//                                                                                 counter + drop; nginx
//
// Processes are started with `taskset -c CPUS ip netns exec NS cmd`: both exec in place, so the
// child's PID is the command's own, and each gets its own process group (trafgen forks a child).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

export const VIP = '10.0.0.100';
export const CLIENT_ADDR = '10.0.0.48';
/** The kernel's own addresses in the forwarder namespace (kernel and HAProxy variants only). */
export const FWD_IN_ADDR = '10.0.0.1';
export const FWD_OUT_ADDR = '192.168.100.1';
/** The real servers: two addresses on the server namespace's one interface. */
export const SERVERS = ['192.168.100.2', '192.168.100.3'] as const;
export const UDP_PORT = 53;
export const TCP_PORT = 80;

/**
 * trafgen forks one sender per CPU it is given and pins sender i to CPU i, whatever taskset says:
 * with `-P 1` the generator is on CPU0, always. So the forwarder gets the other CPUs, and shares
 * CPU0 only when it asks for more CPUs than remain (2 workers on a 2-core machine).
 */
export const GEN_CPU = 0;

/** CPUs for a forwarder that wants n of them, and whether any is the generator's. */
export function forwarderCpus(n: number): { cpus: number[]; sharesGen: boolean } {
  const all = Array.from({ length: os.availableParallelism() }, (_, i) => i);
  const others = all.filter((c) => c !== GEN_CPU);
  const cpus = others.slice(0, n);
  if (cpus.length < n) cpus.push(GEN_CPU);
  return { cpus, sharesGen: cpus.includes(GEN_CPU) };
}

/** Offloads off (as in the namespace lab): veth then carries real frames, not 64 KB super-frames. */
const OFFLOADS = ['gro', 'lro', 'tso', 'gso', 'tx'];

export interface Started {
  child: ChildProcess;
  /** stderr so far (the daemon's log, trafgen's statistics). */
  err: () => string;
}

export class BenchTopology {
  readonly tag = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(os.tmpdir(), 'tsvs-bench-e2e-'));
  readonly ns: { gen: string; fwd: string; srv: string };
  readonly dev = { gen: `g${this.tag}`, fin: `i${this.tag}`, fout: `o${this.tag}`, srv: `s${this.tag}` };
  private readonly nses: string[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly onExit = (): void => this.destroySync();
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.destroySync();
    process.kill(process.pid, sig);
  };

  constructor(prefix = `tsvs-bench-${process.pid}`) {
    const p = `${prefix}-${this.tag}`;
    this.ns = { gen: `${p}-gen`, fwd: `${p}-fwd`, srv: `${p}-srv` };
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** `ip netns exec NS cmd args` (synchronous, output as text). */
  sh(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
  }

  /** `nft -f -` in a namespace. */
  nft(ns: string, script: string): void {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
  }

  sysctl(ns: string, ...kv: string[]): void {
    this.sh(ns, 'sysctl', '-qw', ...kv);
  }

  build(): void {
    const { gen, fwd, srv } = this.ns;
    for (const n of [gen, fwd, srv]) {
      execFileSync('ip', ['netns', 'add', n]);
      this.nses.push(n);
      this.sysctl(n, 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
      execFileSync('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    this.veth(gen, this.dev.gen, fwd, this.dev.fin);
    this.veth(fwd, this.dev.fout, srv, this.dev.srv);
    execFileSync('ip', ['-n', gen, 'addr', 'add', `${CLIENT_ADDR}/16`, 'dev', this.dev.gen]);
    for (const s of SERVERS) execFileSync('ip', ['-n', srv, 'addr', 'add', `${s}/24`, 'dev', this.dev.srv]);
    // Replies to the client range (HAProxy's and the kernel's paths; tsvs FullNAT answers the LIP).
    execFileSync('ip', ['-n', srv, 'route', 'add', '10.0.0.0/16', 'via', FWD_OUT_ADDR]);
    // The servers close first (Connection: close), so TIME_WAIT sits here; without it a reused
    // source port meets no stale socket, for HAProxy's connections and tsvs's alike.
    this.sysctl(srv, 'net.ipv4.tcp_max_tw_buckets=0');
    this.sysctl(gen, 'net.ipv4.ip_local_port_range=1024 65000');
    this.sysctl(fwd, 'net.ipv4.ip_local_port_range=1024 65000');
  }

  private veth(nsA: string, a: string, nsB: string, b: string): void {
    execFileSync('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
    for (const [ns, dev] of [[nsA, a], [nsB, b]] as const) {
      for (const f of OFFLOADS) {
        try {
          this.sh(ns, 'ethtool', '-K', dev, f, 'off');
        } catch { /* fixed off on veth (lro) */ }
      }
      execFileSync('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
  }

  /** The forwarder's in-interface MAC: every generated frame is addressed to it. */
  fwdInMac(): string {
    return this.sh(this.ns.fwd, 'cat', `/sys/class/net/${this.dev.fin}/address`).trim();
  }

  /**
   * Receive processing of the in-interface on the forwarder's CPUs (RPS). On veth the receive
   * side runs in the sender's softirq, i.e. on the generator's CPU; RPS moves the kernel's
   * forwarding (and AF_PACKET's tap for tsvs) to the forwarder's CPUs, so their cost is counted
   * there and does not slow the generator. The same for every forwarder.
   */
  steerTo(cpus: number[]): void {
    const mask = cpus.reduce((m, c) => m | (1 << c), 0).toString(16);
    this.sh(this.ns.fwd, 'sh', '-c', `echo ${mask} > /sys/class/net/${this.dev.fin}/queues/rx-0/rps_cpus`);
  }

  /** The kernel's own addresses in the forwarder namespace (kernel and HAProxy variants). */
  kernelAddresses(on: boolean): void {
    const { fwd } = this.ns;
    for (const d of [this.dev.fin, this.dev.fout]) execFileSync('ip', ['-n', fwd, 'addr', 'flush', 'dev', d]);
    if (!on) return;
    execFileSync('ip', ['-n', fwd, 'addr', 'add', `${FWD_IN_ADDR}/16`, 'dev', this.dev.fin]);
    execFileSync('ip', ['-n', fwd, 'addr', 'add', `${FWD_OUT_ADDR}/24`, 'dev', this.dev.fout]);
  }

  // ---------------------------------------------------------------- the sink

  /**
   * Counts and drops every IPv4 frame at the server interface's ingress (netdev family: before
   * the IP stack, so no ICMP port-unreachable storm goes back, no socket is involved). ARP passes,
   * so the forwarders resolve the servers as usual.
   */
  sinkOn(): void {
    // Declared then deleted then defined: one fresh table (counter at 0, one rule) whatever was there.
    this.nft(this.ns.srv, `table netdev sink
delete table netdev sink
table netdev sink {
  counter delivered { }
  chain in { type filter hook ingress device "${this.dev.srv}" priority 0; policy accept; meta protocol ip counter name "delivered" drop; }
}`);
  }

  /** Removes the sink (declared first, so removing one that is not there is no error). */
  sinkOff(): void {
    this.nft(this.ns.srv, 'table netdev sink\ndelete table netdev sink');
  }

  /** Packets the sink has counted since sinkOn(). */
  sinkCount(): number {
    const j = JSON.parse(this.sh(this.ns.srv, 'nft', '-j', 'list', 'counter', 'netdev', 'sink', 'delivered')) as { nftables: { counter?: { packets: number } }[] };
    const c = j.nftables.find((o) => o.counter !== undefined);
    if (!c?.counter) throw new Error('sink counter not found');
    return c.counter.packets;
  }

  /** What the generator's interface put on the wire (sent + dropped by the peer's input queue). */
  offered(): number {
    const read = (f: string): number => Number(this.sh(this.ns.gen, 'cat', `/sys/class/net/${this.dev.gen}/statistics/${f}`));
    return read('tx_packets') + read('tx_dropped');
  }

  // ---------------------------------------------------------------- processes

  /** Starts cmd in ns on the given CPUs; stdout ignored, stderr kept. */
  start(ns: string, cpus: number[], cmd: string, args: string[], stdout: 'ignore' | 'pipe' = 'ignore'): Started {
    const child = spawn('taskset', ['-c', cpus.join(','), 'ip', 'netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', stdout, 'pipe'], detached: true });
    this.children.push(child);
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
    return { child, err: () => err };
  }

  /** Signals a process we started (its whole group: trafgen's forked sender too); waits for exit. */
  async stop(child: ChildProcess, sig: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const pid = child.pid;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => this.killGroup(pid, 'SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      this.killGroup(pid, sig);
    });
  }

  private killGroup(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(-pid, sig);
    } catch { /* already gone */ }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.children.map((c) => this.stop(c)));
    this.destroySync();
  }

  destroySync(): void {
    for (const c of this.children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) this.killGroup(c.pid, 'SIGKILL');
    }
    for (const n of this.nses.splice(0)) {
      try {
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      } catch { /* already gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true });
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
