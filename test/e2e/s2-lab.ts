// Scenario S2's topology in network namespaces: one LAN (a bridge) with the client
// (192.168.100.48), the real servers .2 and .3 (nginx) and two tsvs nodes, each a `tsvs daemon`
// (afpacket, port dpdk0 on the LAN) and a `tsvs keepalived -f` with S2's keepalived.conf. Each
// node's kernel keeps a management address on that same interface (DPVS's dpdk0.kni): .10 and .11.

import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab } from '../../src/lab/netns-lab.js';

const TSVS = fileURLToPath(new URL('../../src/cli/tsvs.js', import.meta.url));
export const CLIENT = '192.168.100.48';
export const S2_VIP = '192.168.100.254';

export interface S2Node {
  readonly role: 'master' | 'backup';
  readonly ns: string;
  /** The Linux interface tsvs.conf gives port dpdk0. */
  readonly ifname: string;
  readonly mgmtAddr: string;
  readonly dir: string;
  readonly socket: string;
  readonly tsvsConf: string;
  daemon?: ChildProcess;
  keepalived?: ChildProcess;
  daemonLog: string;
  keepalivedLog: string;
}

export class S2Lab extends NetnsLab {
  readonly nodes: [S2Node, S2Node];

  constructor() {
    super({ servers: 2 });
    const node = (role: 'master' | 'backup', ns: string, c: string, addr: string): S2Node => {
      const dir = join(this.dir, role);
      mkdirSync(dir);
      return { role, ns, ifname: `${c}${this.tag}`, mgmtAddr: addr, dir, socket: join(dir, 'tsvs.sock'), tsvsConf: join(dir, 'tsvs.conf'), daemonLog: '', keepalivedLog: '' };
    };
    this.nodes = [node('master', this.ns.lb, 'a', '192.168.100.10'), node('backup', `${this.ns.lb}2`, 'b', '192.168.100.11')];
  }

  override get namespaces(): string[] {
    return [this.ns.client, this.ns.sw, ...this.nodes.map((n) => n.ns), ...this.ns.rs];
  }

  override build(): void {
    const { client, sw, rs } = this.ns;
    for (const n of this.namespaces) this.addNs(n);
    const br = `br${this.tag}`;
    execFileSync('ip', ['-n', sw, 'link', 'add', br, 'type', 'bridge', 'mcast_snooping', '0']);
    execFileSync('ip', ['-n', sw, 'link', 'set', br, 'up']);
    const onLan = (ns: string, dev: string, swDev: string, addr: string): void => {
      this.veth(ns, dev, sw, swDev);
      execFileSync('ip', ['-n', sw, 'link', 'set', swDev, 'master', br]);
      execFileSync('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
    };
    onLan(client, `c${this.tag}`, `sc${this.tag}`, CLIENT);
    rs.forEach((n, i) => onLan(n, `r${i}${this.tag}`, `s${i}${this.tag}`, this.ss.rs(i)));
    for (const [i, node] of this.nodes.entries()) onLan(node.ns, node.ifname, `s${'ab'[i]}${this.tag}`, node.mgmtAddr);
  }

  /**
   * The node's tsvs daemon (afpacket; service_addr_arp off: only the VRRP master answers for the
   * VIP; one fnat_seq_secret for both nodes, which share the LIPs: docs/daemon.md).
   */
  async startNodeDaemon(node: S2Node, timeoutMs = 20_000): Promise<void> {
    const script = join(node.dir, 'startup.conf');
    writeFileSync(script, 'tsip route add 192.168.100.0/24 dev dpdk0\n');
    writeFileSync(node.tsvsConf, `
global_defs {
    workers 1
    driver afpacket
    control_socket ${node.socket}
    conn_pool_size 65536
    startup_script ${script}
    api_listen off
    service_addr_arp off
    fnat_seq_secret 5a5a1234
}
netif_defs {
    device dpdk0 {
        interface ${node.ifname}
    }
}
`);
    const child = this.spawn(node.ns, process.execPath, [TSVS, 'daemon', '-f', node.tsvsConf]);
    node.daemon = child;
    node.daemonLog = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${node.role} daemon not ready after ${timeoutMs} ms:\n${node.daemonLog}`)), timeoutMs);
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        node.daemonLog += d;
        if (node.daemonLog.includes('"daemon_ready"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${node.role} daemon exited (${code}):\n${node.daemonLog}`));
      });
    });
  }

  /** `tsvs keepalived -f FILE --tsvs-conf` on the node: dpdk0.kni resolves through its netif_defs. */
  startNodeKeepalived(node: S2Node, file: string): void {
    const c = this.spawn(node.ns, process.execPath, [TSVS, 'keepalived', '-f', file, '--tsvs-conf', node.tsvsConf]);
    node.keepalived = c;
    node.keepalivedLog = '';
    c.stderr!.setEncoding('utf8').on('data', (d: string) => { node.keepalivedLog += d; });
  }

  /** SIGKILL to the node's keepalived and daemon: the node dies as a crashed box would. */
  async killNode(node: S2Node): Promise<void> {
    await Promise.all([node.keepalived, node.daemon].map((c) => new Promise<void>((resolve) => {
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    })));
  }

  /** One tsip/tsvsadm line on the node's daemon. */
  nodeCtl(node: S2Node, line: string): string {
    const [prog, ...args] = line.split(/\s+/);
    return execFileSync(process.execPath, [TSVS.replace(/tsvs\.js$/, `${prog!}.js`), ...args], { encoding: 'utf8', env: { ...process.env, TSVS_SOCKET: node.socket } });
  }

  /** The node's keepalived JSON log records (complete lines only). */
  records(node: S2Node): { time: string; event: string; message?: string; state?: string; instance?: string }[] {
    return node.keepalivedLog.split('\n').slice(0, -1).filter(Boolean).map((l) => JSON.parse(l) as { time: string; event: string });
  }

  /** MAC of a Linux interface in a namespace. */
  mac(ns: string, dev: string): string {
    return (JSON.parse(this.sh(ns, 'ip', '-j', 'link', 'show', dev)) as { address: string }[])[0]!.address;
  }

  /** The MAC a namespace's neighbour table holds for addr (reachable, stale, ...), or undefined. */
  neighMac(ns: string, addr: string): string | undefined {
    const rows = JSON.parse(this.sh(ns, 'ip', '-j', 'neigh', 'show', 'to', addr)) as { lladdr?: string }[];
    return rows.find((r) => r.lladdr)?.lladdr;
  }
}
