// Scenario S1 in network namespaces: client, tsvs (WAN dpdk1, LAN dpdk0), a switch with a bridge,
// two nginx real servers. Per-run names; processes stopped by PID and namespaces always removed.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = (prog: string): string => fileURLToPath(new URL(`../../src/cli/${prog}.js`, import.meta.url));
export const RS_ADDRS = ['192.168.100.2', '192.168.100.3'] as const;

/**
 * Offloads off on every lab veth, deliberately: with TSO/GSO a sender hands veth 64 KB super-frames
 * and with tx-checksumming CHECKSUM_PARTIAL packets whose sums are not computed yet; GRO/LRO would
 * merge frames on receive. A real NIC puts finished frames on the wire, so the lab does too.
 */
const OFFLOADS = ['gro', 'lro', 'tso', 'gso', 'tx'];

export class S1Lab {
  readonly tag = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'tsvs-s1-'));
  readonly ns = {
    client: `tsvs-${process.pid}-${this.tag}-cl`,
    lb: `tsvs-${process.pid}-${this.tag}-lb`,
    sw: `tsvs-${process.pid}-${this.tag}-sw`,
    rs: [`tsvs-${process.pid}-${this.tag}-rs1`, `tsvs-${process.pid}-${this.tag}-rs2`],
  };
  /** tsvs's Linux interfaces: dpdk1 (WAN) and dpdk0 (LAN). */
  readonly wan = `w${this.tag}`;
  readonly lan = `l${this.tag}`;
  readonly socket = join(this.dir, 'tsvs.sock');
  daemonLog = '';
  private daemon: ChildProcess | null = null;
  private readonly children: ChildProcess[] = [];
  private readonly nses: string[] = [];
  private readonly onExit = (): void => this.destroySync();
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.destroySync();
    process.kill(process.pid, sig);
  };

  constructor() {
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  sh(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
  }

  private addNs(name: string): void {
    execFileSync('ip', ['netns', 'add', name]);
    this.nses.push(name);
    this.sh(name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  }

  private veth(nsA: string, a: string, nsB: string, b: string): void {
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
    for (const n of [client, lb, sw, ...rs]) this.addNs(n);
    this.veth(client, `c${this.tag}`, lb, this.wan);
    execFileSync('ip', ['-n', client, 'addr', 'add', '10.0.0.48/16', 'dev', `c${this.tag}`]);
    const br = `br${this.tag}`;
    execFileSync('ip', ['-n', sw, 'link', 'add', br, 'type', 'bridge']);
    execFileSync('ip', ['-n', sw, 'link', 'set', br, 'up']);
    const port = (dev: string): void => void execFileSync('ip', ['-n', sw, 'link', 'set', dev, 'master', br]);
    this.veth(lb, this.lan, sw, `s0${this.tag}`);
    port(`s0${this.tag}`);
    rs.forEach((n, i) => {
      this.veth(n, `r${i}${this.tag}`, sw, `s${i + 1}${this.tag}`);
      port(`s${i + 1}${this.tag}`);
      // A /24: the LIP 192.168.100.200 is on-link, so replies to it go straight back to tsvs.
      execFileSync('ip', ['-n', n, 'addr', 'add', `${RS_ADDRS[i]}/24`, 'dev', `r${i}${this.tag}`]);
    });
  }

  /** A foreground nginx in real server i: root www/ names the server, PUT allowed under /up/. */
  startNginx(i: number): { root: string; accessLog: string } {
    const d = join(this.dir, `rs${i + 1}`);
    const root = join(d, 'www');
    mkdirSync(join(root, 'up'), { recursive: true });
    writeFileSync(join(root, 'index.html'), `rs${i + 1} ${RS_ADDRS[i]}\n`);
    const accessLog = join(d, 'access.log');
    writeFileSync(join(d, 'nginx.conf'), `
daemon off;
master_process off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log info;
events { worker_connections 256; }
http {
  log_format s1 '$remote_addr $request_method $uri $status $body_bytes_sent';
  access_log ${accessLog} s1;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  client_max_body_size 512m;
  server {
    listen ${RS_ADDRS[i]}:80;
    root ${root};
    location /up/ { dav_methods PUT; }
  }
}
`);
    this.spawn(this.ns.rs[i]!, 'nginx', ['-p', d, '-e', `${d}/error.log`, '-c', join(d, 'nginx.conf')]);
    return { root, accessLog };
  }

  /** tsvs daemon with the afpacket driver in the tsvs namespace; resolves once it is ready. */
  async startDaemon(timeoutMs = 15000): Promise<void> {
    const conf = join(this.dir, 'tsvs.conf');
    writeFileSync(conf, `
global_defs {
    workers 1
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

  private spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    // `ip netns exec` execs the command in place, so child.pid is the command's own PID.
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
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
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
