// The one-arm lab for the DR and tunnel end-to-end tests (scenarios S5, S6): tsvs has ONE port on
// the servers' switch; the client sits in another subnet behind a router on that switch, so the
// real servers' replies go to the router, never through tsvs. Built on NetnsLab's primitives.
//
//   client ns (-cl)          router ns (-rt)                 switch ns (-sw)         tsvs ns (-lb)
//   10.0.0.48/24 (+.49-.55) ── 10.0.0.1 | 192.168.100.1 ── bridge ── dpdk0 (tsvs: .200, VIP .254)
//                                                            ├── rs1 192.168.100.2  VIP on lo, nginx
//                                                            └── rs2 192.168.100.3  VIP on lo, nginx
//
// DR servers hold the VIP on lo with arp_ignore 1 / arp_announce 2. Tunnel servers additionally run
// test/support/ipip-decap.ts (this kernel has no ipip device) feeding a veth pair dx<i>/dy<i>.

import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab, rsAddr } from '../../src/lab/netns-lab.js';

export const VIP = '192.168.100.254';
/** tsvs's own address on dpdk0: the tunnel's outer source, the source of its ICMP errors. */
export const TSVS_ADDR = '192.168.100.200';
export const ROUTER_LAN = '192.168.100.1';
export const ROUTER_WAN = '10.0.0.1';
export const CLIENT_ADDR = '10.0.0.48';
/** Extra client addresses (10.0.0.49 ..) for the mh stickiness test: one source address each. */
export const clientAddr = (i: number): string => `10.0.0.${48 + i}`;
export const CLIENT_ADDRS = 8;

export type Method = 'dr' | 'tun';
export const METHOD_FLAG: Record<Method, string> = { dr: '-g', tun: '-i --tun-type ipip' };

/** tsvs's configuration: its address and the VIP on dpdk0, routes via the router, rr over the servers. */
export function oneArmLines(method: Method, servers: number): string[] {
  return [
    // The /24 brings its connected route (192.168.100.0/24 dev dpdk0), as in dpip.
    `tsip addr add ${TSVS_ADDR}/24 dev dpdk0`,
    `tsip addr add ${VIP}/32 dev dpdk0`,
    `tsip route add default via ${ROUTER_LAN} src ${TSVS_ADDR} dev dpdk0`,
    `tsvsadm -A -t ${VIP}:80 -s rr`,
    ...Array.from({ length: servers }, (_, i) => `tsvsadm -a -t ${VIP}:80 -r ${rsAddr(i)} ${METHOD_FLAG[method]}`),
  ];
}

const TEST_SUPPORT = (f: string): string => fileURLToPath(new URL(`../support/${f}.js`, import.meta.url));
const CLI = (prog: string): string => fileURLToPath(new URL(`../../src/cli/${prog}.js`, import.meta.url));

/** Waits for `marker` on a child's stderr; rejects if it exits first or the time runs out. */
export function waitForStderr(child: ChildProcess, marker: string, what: string, timeoutMs: number, onText?: (t: string) => void): Promise<void> {
  let text = '';
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready after ${timeoutMs} ms:\n${text}`)), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      onText?.(d);
      if (text.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}):\n${text}`));
    });
  });
}

export class OneArmLab extends NetnsLab {
  readonly router: string;
  readonly method: Method;
  readonly servers: number;
  /** tsvs's single port (dpdk0) and its peer on the switch. */
  readonly port = `l${this.tag}`;
  readonly switchPort = `s0${this.tag}`;
  readonly decap: ChildProcess[] = [];
  readonly decapLog: string[] = [];

  constructor(method: Method, servers = 2) {
    super({ servers });
    this.method = method;
    this.servers = servers;
    this.router = this.ns.client.replace(/-cl$/, '-rt');
  }

  rsIf(i: number): string {
    return `r${i}${this.tag}`;
  }

  override build(): void {
    const { client, lb, sw, rs } = this.ns;
    const rt = this.router;
    for (const n of [client, lb, sw, rt, ...rs]) this.addNs(n);
    const br = `br${this.tag}`;
    const ip = (ns: string, ...a: string[]): void => void execFileSync('ip', ['-n', ns, ...a]);
    ip(sw, 'link', 'add', br, 'type', 'bridge');
    ip(sw, 'link', 'set', br, 'up');
    const toSwitch = (ns: string, dev: string, swDev: string): void => {
      this.veth(ns, dev, sw, swDev);
      ip(sw, 'link', 'set', swDev, 'master', br);
    };
    // tsvs: one port, no kernel address (the VIP and tsvs's address belong to tsvs alone).
    toSwitch(lb, this.port, this.switchPort);
    // The router: the servers' gateway and the client's.
    toSwitch(rt, `ru${this.tag}`, `sr${this.tag}`);
    ip(rt, 'addr', 'add', `${ROUTER_LAN}/24`, 'dev', `ru${this.tag}`);
    this.veth(client, `c${this.tag}`, rt, `rc${this.tag}`);
    ip(rt, 'addr', 'add', `${ROUTER_WAN}/24`, 'dev', `rc${this.tag}`);
    this.sh(rt, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    for (let i = 0; i < CLIENT_ADDRS; i++) ip(client, 'addr', 'add', `${clientAddr(i)}/24`, 'dev', `c${this.tag}`);
    ip(client, 'route', 'add', 'default', 'via', ROUTER_WAN);
    rs.forEach((n, i) => {
      toSwitch(n, this.rsIf(i), `s${i + 1}${this.tag}`);
      ip(n, 'addr', 'add', `${rsAddr(i)}/24`, 'dev', this.rsIf(i));
      ip(n, 'route', 'add', 'default', 'via', ROUTER_LAN);
      // LVS-DR's real server: the VIP on lo, never answered in ARP (arp_ignore 1: only for
      // addresses of the receiving interface), never used as an ARP source (arp_announce 2).
      ip(n, 'addr', 'add', `${VIP}/32`, 'dev', 'lo');
      this.sh(n, 'sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2');
      if (this.method === 'tun') this.decapPlumbing(n, i);
    });
  }

  /**
   * The tunnel server's stand-in for tunl0: a veth pair dx/dy in its namespace (the decapsulator
   * sends inner packets out of dx, the kernel receives them on dy), rp_filter off as for tunl0 (the
   * client is not routed through dy), and the outer IPIP packets dropped at the kernel's input: the
   * AF_PACKET tap has already seen them, and without ipip the kernel would answer each with ICMP
   * protocol unreachable to tsvs.
   */
  private decapPlumbing(n: string, i: number): void {
    this.veth(n, `dx${i}${this.tag}`, n, `dy${i}${this.tag}`);
    this.sh(n, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', `net.ipv4.conf.dy${i}${this.tag}.rp_filter=0`);
    this.sh(n, 'nft', 'add table ip tsvs_e2e; add chain ip tsvs_e2e input { type filter hook input priority 0; }; add rule ip tsvs_e2e input ip protocol 4 counter drop');
  }

  /** Packets the nftables rule dropped in server i: the outer IPIP packets its kernel saw. */
  outerDropped(i: number): number {
    const out = this.sh(this.ns.rs[i]!, 'nft', 'list chain ip tsvs_e2e input');
    const m = /counter packets (\d+)/.exec(out);
    if (!m) throw new Error(`no counter in:\n${out}`);
    return Number(m[1]);
  }

  /** nginx in server i on port 80 of every address (the VIP on lo included); PUT under /up/. */
  startServer(i: number): { root: string; accessLog: string } {
    const d = join(this.dir, `rs${i + 1}`);
    const root = join(d, 'www');
    mkdirSync(join(root, 'up'), { recursive: true });
    writeFileSync(join(root, 'index.html'), `rs${i + 1} ${rsAddr(i)}\n`);
    const accessLog = join(d, 'access.log');
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${d}/${t};`).join(' ');
    writeFileSync(join(d, 'nginx.conf'), [
      'daemon off; master_process off; worker_processes 1;',
      `pid ${d}/nginx.pid; error_log ${d}/error.log info;`,
      'events { worker_connections 256; }',
      'http {',
      `  log_format remote '$remote_addr $request_method $uri $status'; access_log ${accessLog} remote;`,
      `  ${temp} client_max_body_size 512m;`,
      `  server { listen 80; root ${root}; location /up/ { dav_methods PUT; } }`,
      '}',
    ].join('\n'));
    this.spawn(this.ns.rs[i]!, 'nginx', ['-p', d, '-e', `${d}/error.log`, '-c', join(d, 'nginx.conf')]);
    return { root, accessLog };
  }

  /** The decapsulator of server i (tunnel labs); resolves once its sockets are open. */
  async startDecap(i: number): Promise<void> {
    const child = this.spawn(this.ns.rs[i]!, process.execPath, [TEST_SUPPORT('ipip-decap'),
      '--in', this.rsIf(i), '--local', rsAddr(i), '--out', `dx${i}${this.tag}`, '--peer', `dy${i}${this.tag}`]);
    this.decap[i] = child;
    this.decapLog[i] = '';
    await waitForStderr(child, 'ipip-decap ready', `ipip-decap in ${this.ns.rs[i]}`, 10000, (t) => { this.decapLog[i] += t; });
  }

  /** Stops decapsulator i; resolves with the counts it printed on the way out. */
  async stopDecap(i: number): Promise<{ decapsulated: number; ignored: number; txFull: number }> {
    const c = this.decap[i]!;
    if (c.exitCode === null) {
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    }
    const last = this.decapLog[i]!.trim().split('\n').pop()!;
    return JSON.parse(last) as { decapsulated: number; ignored: number; txFull: number };
  }

  /** tsvs daemon (afpacket driver, `workers` workers) with dpdk0 on the one port. */
  async startOneArmDaemon(workers = 1, timeoutMs = 15000): Promise<void> {
    const conf = join(this.dir, 'tsvs.conf');
    writeFileSync(conf, `global_defs {
    workers ${workers}
    driver afpacket
    control_socket ${this.socket}
    conn_pool_size 65536
}
netif_defs {
    device dpdk0 {
        interface ${this.port}
    }
}
`);
    this.daemon = this.spawn(this.ns.lb, process.execPath, [CLI('tsvs'), 'daemon', '-f', conf]);
    await waitForStderr(this.daemon, '"daemon_ready"', 'tsvs daemon', timeoutMs, (t) => { this.daemonLog += t; });
  }

  /**
   * dumpcap on an interface of a namespace with a BPF filter, into a pcap file; resolves once it
   * captures. stop() ends it (SIGTERM flushes the file) and resolves when the file is complete.
   */
  async capture(ns: string, ifname: string, filter: string, file: string): Promise<{ stop(): Promise<void> }> {
    const child = this.spawn(ns, 'dumpcap', ['-q', '-P', '-i', ifname, '-f', filter, '-w', file]);
    await waitForStderr(child, 'Capturing on', `dumpcap on ${ifname}`, 10000);
    return {
      stop: () => new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
    };
  }

  /**
   * The selftest's server side: `socat -u -4 TCP-LISTEN:PORT,reuseaddr` in server i writing what
   * one connection brings to `file` (ipvs.sh redirects STDOUT; OPEN does the same here).
   */
  socatSink(i: number, port: number, file: string): { listening: Promise<void>; exit: Promise<number | null> } {
    const n = this.ns.rs[i]!;
    const child = this.spawn(n, 'timeout', ['5', 'socat', '-u', '-4', `TCP-LISTEN:${port},reuseaddr`, `OPEN:${file},creat,trunc`]);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const listening = (async (): Promise<void> => {
      for (let t = 0; t < 50; t++) {
        if (this.sh(n, 'ss', '-Hltn', `sport = :${port}`).trim()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`socat in ${n} not listening on ${port}`);
    })();
    return { listening, exit };
  }

  /** A namespace's kernel counters (nstat, absolute, history untouched). */
  nstat(ns: string): Map<string, number> {
    const m = new Map<string, number>();
    for (const l of this.sh(ns, 'nstat', '-asz').split('\n')) {
      const [k, v] = l.trim().split(/\s+/);
      if (k && v && !k.startsWith('#')) m.set(k, Number(v));
    }
    return m;
  }
}
