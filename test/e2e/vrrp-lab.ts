// The VRRP interop lab: four namespaces on one bridge (multicast snooping off, so 224.0.0.18 and
// ff02::12 flood like on a dumb switch): Debian's keepalived in `ka`, tsvs (daemon + our VRRP) in
// `ts`, an observer in `ob` that pings the VIP and captures every advert and ARP (IPv4 lab) or
// advert and NA (IPv6 lab) with dumpcap. Per-run names; every process stopped by PID; namespaces
// removed on exit or signal. Not a test file.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaptureFrame, readCaptureFile } from '../../src/drivers/pcap.js';
import { setTimeout as sleep } from 'node:timers/promises';

const CLI = (prog: string): string => fileURLToPath(new URL(`../../src/cli/${prog}.js`, import.meta.url));
const PEER = fileURLToPath(new URL('./vrrp-peer.js', import.meta.url));
export const KEEPALIVED = '/usr/sbin/keepalived';
export const KA_ADDR = '192.168.77.2';
export const TS_ADDR = '192.168.77.3';
export const OB_ADDR = '192.168.77.9';
export const VIP = '192.168.77.100';

/** The lab's addresses in one family: the kernel addresses of ka, ts and ob, and the VIP. */
export interface LabFamily {
  readonly af: 4 | 6;
  readonly ka: string;
  readonly ts: string;
  readonly ob: string;
  readonly vip: string;
  /** The VIP's virtual_ipaddress / tsip prefix length. */
  readonly vipPlen: number;
  readonly net: string;
  readonly plen: number;
  /** dumpcap's filter: the adverts and the VIP's announcements. */
  readonly capture: string;
}

export const LAB4: LabFamily = {
  af: 4, ka: KA_ADDR, ts: TS_ADDR, ob: OB_ADDR, vip: VIP, vipPlen: 32, net: '192.168.77.0', plen: 24, capture: 'ip proto 112 or arp',
};

/** IPv6: global addresses for the VIP's traffic; adverts leave from the link-local ones (RFC 5798 5.1.2.1). */
export const LAB6: LabFamily = {
  af: 6, ka: '2001:db8:77::2', ts: '2001:db8:77::3', ob: '2001:db8:77::9', vip: '2001:db8:77::100', vipPlen: 128, net: '2001:db8:77::', plen: 64,
  capture: 'ip6 proto 112 or (icmp6 and ip6[40] == 136)',
};

/** A process we started, with what it wrote to stderr (and stdout, for keepalived's -l log). */
export interface Proc {
  child: ChildProcess;
  out: string;
}

export class VrrpLab {
  readonly tag = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'tsvs-vrrp-'));
  readonly ns: { sw: string; ka: string; ts: string; ob: string };
  readonly ifs = { ka: `k${this.tag}`, ts: `t${this.tag}`, ob: `o${this.tag}` };
  readonly socket = join(this.dir, 'tsvs.sock');
  /** notify script: appends "$@" to the file named by its first argument. */
  readonly notifyScript = join(this.dir, 'notify.sh');
  readonly mac: { ka: string; ts: string };
  private readonly children: ChildProcess[] = [];
  private readonly nses: string[] = [];
  private readonly onExit = (): void => this.destroySync();
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.destroySync();
    process.kill(process.pid, sig);
  };

  /** IPv6 on in ka, ts and ob (no DAD, no router solicitations) with LAB6's addresses; else IPv4 only. */
  constructor(readonly fam: LabFamily = LAB4) {
    const p = `tsvs-${process.pid}-${this.tag}`;
    this.ns = { sw: `${p}-sw`, ka: `${p}-ka`, ts: `${p}-ts`, ob: `${p}-ob` };
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    for (const n of Object.values(this.ns)) {
      execFileSync('ip', ['netns', 'add', n]);
      this.nses.push(n);
      execFileSync('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
      // IPv4: IPv6 off, no router solicitations or DAD chatter in the captures. IPv6: on, but with
      // the link-local addresses usable at once (no DAD) and no router solicitations; the switch
      // itself stays silent either way.
      const v6 = fam.af === 6 && n !== this.ns.sw ? ['disable_ipv6=0', 'accept_dad=0', 'router_solicitations=0'] : ['disable_ipv6=1'];
      this.sh(n, 'sysctl', '-qw', ...v6.flatMap((kv) => [`net.ipv6.conf.all.${kv}`, `net.ipv6.conf.default.${kv}`]));
    }
    const br = `br${this.tag}`;
    execFileSync('ip', ['-n', this.ns.sw, 'link', 'add', br, 'type', 'bridge', 'mcast_snooping', '0']);
    execFileSync('ip', ['-n', this.ns.sw, 'link', 'set', br, 'up']);
    const addrs = { ka: KA_ADDR, ts: TS_ADDR, ob: OB_ADDR } as const;
    for (const k of ['ka', 'ts', 'ob'] as const) {
      const port = `s${k}${this.tag}`;
      execFileSync('ip', ['link', 'add', this.ifs[k], 'netns', this.ns[k], 'type', 'veth', 'peer', 'name', port, 'netns', this.ns.sw]);
      execFileSync('ip', ['-n', this.ns.sw, 'link', 'set', port, 'master', br]);
      execFileSync('ip', ['-n', this.ns.sw, 'link', 'set', port, 'up']);
      // Finished frames on the wire (see NetnsLab's OFFLOADS): tsvs's daemon reads this veth.
      for (const f of ['gro', 'tso', 'gso', 'tx']) {
        try {
          this.sh(this.ns[k], 'ethtool', '-K', this.ifs[k], f, 'off');
        } catch { /* fixed */ }
      }
      execFileSync('ip', ['-n', this.ns[k], 'link', 'set', this.ifs[k], 'up']);
      execFileSync('ip', ['-n', this.ns[k], 'addr', 'add', `${addrs[k]}/24`, 'dev', this.ifs[k]]);
      if (fam.af === 6) execFileSync('ip', ['-n', this.ns[k], 'addr', 'add', `${fam[k]}/${fam.plen}`, 'dev', this.ifs[k], 'nodad']);
    }
    const mac = (k: 'ka' | 'ts'): string => (JSON.parse(execFileSync('ip', ['-n', this.ns[k], '-j', 'link', 'show', this.ifs[k]], { encoding: 'utf8' })) as { address: string }[])[0]!.address;
    this.mac = { ka: mac('ka'), ts: mac('ts') };
    writeFileSync(this.notifyScript, '#!/bin/sh\nf="$1"; shift\necho "$*" >> "$f"\n');
    chmodSync(this.notifyScript, 0o755);
  }

  sh(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  private spawn(ns: string, cmd: string, args: string[], streams: readonly ('stdout' | 'stderr')[]): Proc {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', streams.includes('stdout') ? 'pipe' : 'ignore', streams.includes('stderr') ? 'pipe' : 'ignore'] });
    this.children.push(child);
    const p: Proc = { child, out: '' };
    for (const s of streams) child[s]!.setEncoding('utf8').on('data', (d: string) => { p.out += d; });
    return p;
  }

  /** Resolves once `text` shows in p's output (or rejects after ms, with the output). */
  async waitFor(p: Proc, text: string | RegExp, ms: number, from = 0): Promise<void> {
    const end = Date.now() + ms;
    const has = (): boolean => (typeof text === 'string' ? p.out.includes(text, from) : text.test(p.out.slice(from)));
    while (!has()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${String(text)}; output:\n${p.out}`);
      if (p.child.exitCode !== null) throw new Error(`process exited (${p.child.exitCode}) before ${String(text)}; output:\n${p.out}`);
      await sleep(20);
    }
  }

  /** Debian's keepalived, VRRP only, in the foreground, logging to stdout (-l) in detail (-D). */
  startKeepalived(conf: string, name = 'ka'): Proc {
    const f = join(this.dir, `${name}.conf`);
    writeFileSync(f, conf);
    const pid = (s: string): string => join(this.dir, `${name}.${s}.pid`);
    return this.spawn(this.ns.ka, KEEPALIVED, ['-n', '-l', '-D', '--vrrp', '-f', f, '-p', pid('main'), '-r', pid('vrrp'), '-c', pid('checkers')], ['stdout', 'stderr']);
  }

  /** `tsvs daemon` on the ts veth as port dpdk0; resolves once ready. */
  async startDaemon(): Promise<Proc> {
    const conf = join(this.dir, 'tsvs.conf');
    writeFileSync(conf, `global_defs {\n  workers 1\n  driver afpacket\n  control_socket ${this.socket}\n}\nnetif_defs {\n  device dpdk0 {\n    interface ${this.ifs.ts}\n  }\n}\n`);
    const p = this.spawn(this.ns.ts, process.execPath, [CLI('tsvs'), 'daemon', '-f', conf], ['stderr']);
    await this.waitFor(p, '"daemon_ready"', 15000);
    this.ctl('tsip route add 192.168.77.0/24 dev dpdk0');
    if (this.fam.af === 6) this.ctl(`tsip route add ${this.fam.net}/${this.fam.plen} dev dpdk0`);
    return p;
  }

  /** Our VRRP (vrrp-peer.js) with VIPs through the daemon; `interface dpdk0.kni` maps to the ts veth. */
  startOurs(conf: string, name = 'ts'): Proc {
    const f = join(this.dir, `${name}.conf`);
    writeFileSync(f, conf);
    return this.spawn(this.ns.ts, process.execPath, [PEER, f, this.socket, JSON.stringify({ dpdk0: this.ifs.ts })], ['stderr']);
  }

  ctl(line: string): string {
    const [prog, ...args] = line.split(/\s+/);
    return execFileSync(process.execPath, [CLI(prog!), ...args], { encoding: 'utf8', env: { ...process.env, TSVS_SOCKET: this.socket } });
  }

  /** dumpcap in the observer: VRRP and ARP (or NA), until stop() resolves with the frames. */
  capture(): { stop(): Promise<CaptureFrame[]> } {
    const file = join(this.dir, `cap-${Date.now()}.pcapng`);
    const p = this.spawn(this.ns.ob, 'dumpcap', ['-q', '-i', this.ifs.ob, '-f', this.fam.capture, '-w', file], ['stderr']);
    return {
      stop: async () => {
        // dumpcap needs a moment to have its filter on: callers start it before anything happens.
        await this.kill(p, 'SIGTERM');
        return existsSync(file) ? readCaptureFile(file) : [];
      },
    };
  }

  /**
   * A failover on the capture: capturing (1.2 s of the old master's adverts first), `stop` the
   * master, wait for `heir` to log `masterLine`, `settleMs` more (NA / GARP bursts), and the frames.
   */
  async failover(stop: () => Promise<void>, heir: Proc, masterLine: string, settleMs: number): Promise<CaptureFrame[]> {
    const cap = this.capture();
    await sleep(1200);
    const from = heir.out.length;
    await stop();
    await this.waitFor(heir, masterLine, 10_000, from);
    await sleep(settleMs);
    return cap.stop();
  }

  /** Signals p and resolves when it has exited. */
  kill(p: Proc, sig: NodeJS.Signals): Promise<void> {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      p.child.once('exit', () => resolve());
      p.child.kill(sig);
    });
  }

  readNotify(file: string): string[] {
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  }

  /** Pings the VIP from the observer; returns the MAC the observer's kernel then has for it. */
  pingVip(): { ok: boolean; mac: string | undefined } {
    let ok = true;
    try {
      this.sh(this.ns.ob, 'ping', '-c', '1', '-W', '2', this.fam.vip);
    } catch {
      ok = false;
    }
    return { ok, mac: this.vipNeighbour().mac };
  }

  /** The observer's neighbour entry for the VIP (ARP or ND): its MAC and state, read without sending anything. */
  vipNeighbour(): { mac: string | undefined; state: string | undefined } {
    const rows = JSON.parse(this.sh(this.ns.ob, 'ip', '-j', 'neigh', 'show', this.fam.vip)) as { lladdr?: string; state?: string[] }[];
    return { mac: rows[0]?.lladdr, state: rows[0]?.state?.join(',') };
  }

  /** The kernel's IPv6 link-local address on k's veth (where an IPv6 advert comes from). */
  linkLocal(k: 'ka' | 'ts'): string {
    const rows = JSON.parse(this.sh(this.ns[k], 'ip', '-j', '-6', 'addr', 'show', 'dev', this.ifs[k])) as { addr_info: { local: string; scope: string }[] }[];
    const a = rows[0]?.addr_info.find((x) => x.scope === 'link')?.local;
    if (!a) throw new Error(`no IPv6 link-local address on ${this.ifs[k]}`);
    return a;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.once('exit', () => { clearTimeout(t); resolve(); });
      c.kill('SIGTERM');
    })));
    this.destroySync();
  }

  destroySync(): void {
    for (const c of this.children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch { /* gone */ }
      }
    }
    for (const n of this.nses.splice(0)) {
      try {
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      } catch { /* gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true });
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
