// The lab in network namespaces (scenario S1, and S7's layout for `tsvs lab`): client, tsvs (WAN
// dpdk1, LAN dpdk0, optionally a kernel management interface), a switch with a bridge, N nginx real
// servers; each side IPv4 or IPv6, servers routed back through tsvs for NAT. Per-run names;
// processes stopped by PID and namespaces always removed. Used by `tsvs lab` and by the end-to-end
// tests: one implementation.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = (prog: string): string => fileURLToPath(new URL(`../cli/${prog}.js`, import.meta.url));
/** Real server i is 192.168.100.(i + 2): S1's .2 and .3, S7's lab adds .4. */
export const rsAddr = (i: number): string => `192.168.100.${i + 2}`;
export const VIP = '10.0.0.100';
export const LIP = '192.168.100.200';
export const CLIENT_ADDR = '10.0.0.48';
/** The kernel's management address in the tsvs namespace (S7: health checks go through Linux). */
export const MGMT_ADDR = '192.168.100.250';

/** The client side's addresses: the client, the VIP, extra client addresses (scheduler hashes). */
export interface ClientSide {
  readonly af: 4 | 6;
  readonly client: string;
  readonly vip: string;
  /** The client's on-link prefix (tsvs routes it on dpdk1). */
  readonly net: string;
  readonly plen: number;
  readonly extra: (i: number) => string;
}

/** The servers' side: real servers, the FullNAT LIP, tsvs's own address there (NAT's gateway). */
export interface ServerSide {
  readonly af: 4 | 6;
  readonly rs: (i: number) => string;
  readonly lip: string;
  readonly gw: string;
  readonly net: string;
  readonly plen: number;
}

/** IPv4 is S1's plan; IPv6 mirrors it in the documentation prefix (RFC 3849). */
export const CLIENT_SIDE: Readonly<Record<4 | 6, ClientSide>> = {
  4: { af: 4, client: CLIENT_ADDR, vip: VIP, net: '10.0.0.0/16', plen: 16, extra: (i) => `10.0.0.${50 + i}` },
  6: { af: 6, client: '2001:db8::48', vip: '2001:db8::100', net: '2001:db8::/64', plen: 64, extra: (i) => `2001:db8::${(0x50 + i).toString(16)}` },
};
export const SERVER_SIDE: Readonly<Record<4 | 6, ServerSide>> = {
  4: { af: 4, rs: rsAddr, lip: LIP, gw: '192.168.100.1', net: '192.168.100.0/24', plen: 24 },
  6: { af: 6, rs: (i) => `2001:db8:100::${i + 2}`, lip: '2001:db8:100::200', gw: '2001:db8:100::1', net: '2001:db8:100::/64', plen: 64 },
};

/** host:port as URLs, ipvsadm and nginx write it: IPv6 in brackets. */
export const hostPort = (addr: string, port: number): string => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

/** S1's configuration, line for line (references/scenarios.md), with one `-a` per real server. */
export function fnatRrLines(servers: number): string[] {
  return [
    `tsip addr add ${VIP}/32 dev dpdk1`,
    'tsip route add 10.0.0.0/16 dev dpdk1',
    'tsip route add 192.168.100.0/24 dev dpdk0',
    `tsvsadm -A -t ${VIP}:80 -s rr`,
    ...Array.from({ length: servers }, (_, i) => `tsvsadm -a -t ${VIP}:80 -r ${rsAddr(i)} -b`),
    `tsvsadm --add-laddr -z ${LIP} -t ${VIP}:80 -F dpdk0`,
  ];
}

export interface LabOptions {
  /** Real servers (default 2, S1). */
  servers?: number;
  /** A kernel management interface in the tsvs namespace on the servers' switch (S7). */
  mgmt?: boolean;
  /**
   * A kernel address on tsvs's WAN interface (e.g. `10.0.0.2/16`): the management address that
   * shares a taken-over interface with tsvs, as on a DPVS box's KNI interface.
   */
  wanAddr?: string;
  /** Namespace name prefix (default `tsvs-<pid>`); a random tag follows it. */
  prefix?: string;
  /** Address family of the client side (client, VIP) and of the servers' side (servers, LIP). */
  clientAf?: 4 | 6;
  serverAf?: 4 | 6;
  /** NAT (S4): the real servers' default route is tsvs's LAN address (`ServerSide.gw`). */
  nat?: boolean;
  /**
   * On SIGINT/SIGTERM remove everything and die of the signal (tests). `tsvs lab` handles the
   * signals itself and passes false.
   */
  signals?: boolean;
}

/**
 * Offloads off on every lab veth, deliberately: with TSO/GSO a sender hands veth 64 KB super-frames
 * and with tx-checksumming CHECKSUM_PARTIAL packets whose sums are not computed yet; GRO/LRO would
 * merge frames on receive. A real NIC puts finished frames on the wire, so the lab does too.
 */
const OFFLOADS = ['gro', 'lro', 'tso', 'gso', 'tx'];

export class NetnsLab {
  readonly tag = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'tsvs-lab-'));
  readonly ns: { client: string; lb: string; sw: string; rs: string[] };
  /** tsvs's Linux interfaces: dpdk1 (WAN) and dpdk0 (LAN); the kernel's management interface. */
  readonly wan = `w${this.tag}`;
  readonly lan = `l${this.tag}`;
  readonly mgmt: string | null;
  readonly socket = join(this.dir, 'tsvs.sock');
  readonly cs: ClientSide;
  readonly ss: ServerSide;
  private readonly nat: boolean;
  private extraClientAddrs = 0;
  daemonLog = '';
  protected daemon: ChildProcess | null = null;
  private readonly children: ChildProcess[] = [];
  /** The running nginx of each real server (index), for stopNginx. */
  private readonly nginx = new Map<number, ChildProcess>();
  private readonly nses: string[] = [];
  private readonly onExit = (): void => this.destroySync();
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.destroySync();
    process.kill(process.pid, sig);
  };

  private readonly signals: boolean;
  private readonly wanAddr: string | undefined;

  constructor(opts: LabOptions = {}) {
    const p = `${opts.prefix ?? `tsvs-${process.pid}`}-${this.tag}`;
    const servers = opts.servers ?? 2;
    this.ns = { client: `${p}-cl`, lb: `${p}-lb`, sw: `${p}-sw`, rs: Array.from({ length: servers }, (_, i) => `${p}-rs${i + 1}`) };
    this.mgmt = opts.mgmt ? `m${this.tag}` : null;
    this.cs = CLIENT_SIDE[opts.clientAf ?? 4];
    this.ss = SERVER_SIDE[opts.serverAf ?? 4];
    this.nat = opts.nat ?? false;
    this.signals = opts.signals ?? true;
    this.wanAddr = opts.wanAddr;
    process.on('exit', this.onExit);
    if (this.signals) {
      process.once('SIGINT', this.onSignal);
      process.once('SIGTERM', this.onSignal);
    }
  }

  /** Every namespace of the lab, in creation order. */
  get namespaces(): string[] {
    return [this.ns.client, this.ns.lb, this.ns.sw, ...this.ns.rs];
  }

  sh(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
  }

  /**
   * IPv6 stays off where nothing uses it. Where it is on, the interfaces made later skip DAD (an
   * address is usable at once) and router solicitation (no router here; a quiet kernel).
   */
  protected addNs(name: string, ipv6 = false): void {
    execFileSync('ip', ['netns', 'add', name]);
    this.nses.push(name);
    const v6 = ipv6 ? ['accept_dad=0', 'router_solicitations=0', 'disable_ipv6=0'] : ['disable_ipv6=1'];
    this.sh(name, 'sysctl', '-qw', ...['all', 'default'].flatMap((c) => v6.map((kv) => `net.ipv6.conf.${c}.${kv}`)));
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  }

  private addAddr(ns: string, dev: string, addr: string, plen: number): void {
    execFileSync('ip', ['-n', ns, 'addr', 'add', `${addr}/${plen}`, 'dev', dev, ...(addr.includes(':') ? ['nodad'] : [])]);
  }

  protected veth(nsA: string, a: string, nsB: string, b: string): void {
    execFileSync('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
    for (const [ns, dev] of [[nsA, a], [nsB, b]] as const) {
      for (const f of OFFLOADS) {
        // Some are fixed on veth (lro); each separately so one refusal does not hide the others.
        try {
          this.sh(ns, 'ethtool', '-K', dev, f, 'off');
        } catch { /* fixed off */ }
      }
      execFileSync('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
  }

  /** The topology; no address on tsvs's interfaces: the VIP and LIP belong to tsvs alone. */
  build(): void {
    const { client, lb, sw, rs } = this.ns;
    const { cs, ss } = this;
    // The tsvs namespace gets IPv6 when a side uses it: its kernel must then stay quiet on its own.
    const ipv6 = new Set([...(cs.af === 6 ? [client, lb] : []), ...(ss.af === 6 ? [lb, ...rs] : [])]);
    for (const n of this.namespaces) this.addNs(n, ipv6.has(n));
    this.veth(client, `c${this.tag}`, lb, this.wan);
    this.addAddr(client, `c${this.tag}`, cs.client, cs.plen);
    if (this.wanAddr) execFileSync('ip', ['-n', lb, 'addr', 'add', this.wanAddr, 'dev', this.wan]);
    const br = `br${this.tag}`;
    // No multicast snooping: tsvs sends no MLD reports, so whatever the bridge learns from the
    // servers' reports, ND to solicited-node groups must still be flooded to tsvs's port.
    execFileSync('ip', ['-n', sw, 'link', 'add', br, 'type', 'bridge', 'mcast_snooping', '0']);
    execFileSync('ip', ['-n', sw, 'link', 'set', br, 'up']);
    const port = (dev: string): void => void execFileSync('ip', ['-n', sw, 'link', 'set', dev, 'master', br]);
    this.veth(lb, this.lan, sw, `s0${this.tag}`);
    port(`s0${this.tag}`);
    rs.forEach((n, i) => {
      this.veth(n, `r${i}${this.tag}`, sw, `s${i + 1}${this.tag}`);
      port(`s${i + 1}${this.tag}`);
      // A /24 (/64): the LIP is on-link, so replies to it go straight back to tsvs.
      this.addAddr(n, `r${i}${this.tag}`, ss.rs(i), ss.plen);
      if (this.nat) execFileSync('ip', ['-n', n, `-${ss.af}`, 'route', 'add', 'default', 'via', ss.gw]);
    });
    if (this.mgmt) {
      // A plain kernel interface on the servers' switch: health checks and SSH-style access go
      // through Linux, never through tsvs's ports (which carry no kernel address).
      this.veth(lb, this.mgmt, sw, `sm${this.tag}`);
      port(`sm${this.tag}`);
      execFileSync('ip', ['-n', lb, 'addr', 'add', `${MGMT_ADDR}/24`, 'dev', this.mgmt]);
    }
  }

  /** A foreground nginx in real server i: root www/ names the server, PUT allowed under /up/. */
  startNginx(i: number): { root: string; accessLog: string } {
    const d = join(this.dir, `rs${i + 1}`);
    const root = join(d, 'www');
    mkdirSync(join(root, 'up'), { recursive: true });
    writeFileSync(join(root, 'index.html'), `rs${i + 1} ${this.ss.rs(i)}\n`);
    const accessLog = join(d, 'access.log');
    writeFileSync(join(d, 'nginx.conf'), `
daemon off;
master_process off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log info;
events { worker_connections 256; }
http {
  log_format s1 '$remote_addr $remote_port $request_method $request_uri $status $body_bytes_sent';
  access_log ${accessLog} s1;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  client_max_body_size 512m;
  # A load tool's connections live for the whole run (the default closes one every 1000 requests).
  keepalive_requests 1000000;
  server {
    listen ${hostPort(this.ss.rs(i), 80)};
    root ${root};
    location /up/ { dav_methods PUT; }
  }
}
`);
    this.nginx.set(i, this.spawn(this.ns.rs[i]!, 'nginx', ['-p', d, '-e', `${d}/error.log`, '-c', join(d, 'nginx.conf')]));
    return { root, accessLog };
  }

  /** Stops real server i's nginx (SIGTERM to its PID) and resolves once it has exited. */
  stopNginx(i: number): Promise<void> {
    const c = this.nginx.get(i);
    this.nginx.delete(i);
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  }

  /** tsvs daemon with the afpacket driver in the tsvs namespace; resolves once it is ready. */
  async startDaemon(timeoutMs = 15000, opts: { workers?: number } = {}): Promise<void> {
    const conf = join(this.dir, 'tsvs.conf');
    writeFileSync(conf, `
global_defs {
    workers ${opts.workers ?? 1}
    driver afpacket
    control_socket ${this.socket}
    conn_pool_size 65536
}
netif_defs {
    device dpdk0 {
        interface ${this.lan}
    }
    device dpdk1 {
        interface ${this.wan}
    }
}
`);
    const child = this.spawn(this.ns.lb, process.execPath, [CLI('tsvs'), 'daemon', '-f', conf]);
    this.daemon = child;
    // A restarted daemon's readiness is its own line, not the previous run's.
    this.daemonLog = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tsvs daemon not ready after ${timeoutMs} ms:\n${this.daemonLog}`)), timeoutMs);
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        this.daemonLog += d;
        if (this.daemonLog.includes('"daemon_ready"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tsvs daemon exited (${code}):\n${this.daemonLog}`));
      });
    });
  }

  get daemonPid(): number | undefined {
    return this.daemon?.pid;
  }

  /** Calls back once when the daemon exits (by itself or stopped). */
  onDaemonExit(cb: (code: number | null) => void): void {
    this.daemon?.once('exit', (code) => cb(code));
  }

  /** SIGTERM to the daemon; resolves with its exit code. */
  stopDaemon(): Promise<number | null> {
    const c = this.daemon;
    if (!c || c.exitCode !== null) return Promise.resolve(c?.exitCode ?? null);
    return new Promise((resolve) => {
      c.once('exit', (code) => resolve(code));
      c.kill('SIGTERM');
    });
  }

  /** One tsip/tsvsadm line over the control socket (the clients run anywhere: it is a unix socket). */
  ctl(line: string): string {
    const [prog, ...args] = line.split(/\s+/);
    return execFileSync(process.execPath, [CLI(prog!), ...args], { encoding: 'utf8', env: { ...process.env, TSVS_SOCKET: this.socket } });
  }

  /** Adds n more client addresses (`ClientSide.extra`) and returns all the extra ones so far. */
  addClientAddrs(n: number): string[] {
    for (let i = this.extraClientAddrs; i < this.extraClientAddrs + n; i++) {
      this.addAddr(this.ns.client, `c${this.tag}`, this.cs.extra(i), this.cs.plen);
    }
    this.extraClientAddrs += n;
    return Array.from({ length: this.extraClientAddrs }, (_, i) => this.cs.extra(i));
  }

  /** A command in a namespace, stopped with the lab if still running; resolves with its exit code. */
  run(ns: string, cmd: string, ...args: string[]): Promise<number | null> {
    const child = this.spawn(ns, cmd, args);
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** wrk (one thread) from the client namespace: its report. */
  wrk(url: string, connections: number, seconds: number, ...args: string[]): string {
    return this.sh(this.ns.client, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, ...args, url);
  }

  /** The namespace kernel's SNMP counters (`nstat -a`: absolute values; -s: no history file). */
  kernelCounters(ns: string): Record<string, number> {
    return (JSON.parse(this.sh(ns, 'nstat', '-asz', '--json')) as { kernel: Record<string, number> }).kernel;
  }

  /** Starts a command in namespace `ns`; destroy() stops it. */
  spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    // `ip netns exec` execs the command in place, so child.pid is the command's own PID.
    // Its own process group: a terminal's Ctrl-C reaches only the lab, which stops these in order.
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.children.push(child);
    return child;
  }

  /** Stops what we started (SIGTERM, then SIGKILL), then removes the namespaces and the temp dir. */
  async destroy(): Promise<void> {
    await Promise.all(this.children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return resolve();
      const kill = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      c.kill('SIGTERM');
    })));
    this.destroySync();
  }

  destroySync(): void {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch { /* already gone */ }
      }
    }
    this.children.length = 0;
    for (const n of this.nses.splice(0)) {
      try {
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      } catch { /* already gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true });
    process.off('exit', this.onExit);
    if (this.signals) {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
    }
  }
}
