// The takeover's nftables rules against a real kernel: the taken-over side's kernel holds every
// address itself, so whatever the rules let through, it answers; what they hide, it never sees.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setsScript, tableName, tableScript } from '../../src/drivers/nft-takeover.js';
import { type IpAddr, parseIp } from '../../src/packet/inet.js';
import { VethLab } from './veth-lab.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces and nftables (CI runs it as root)' : false;

const ip = (s: string): IpAddr => parseIp(s)!;
/** On the taken-over side (B): an owned address (VIP/LIP), a tsvs interface address, a management one. */
const ADDRS = {
  4: { peer: '10.9.0.1', own: '10.9.0.2', local: '10.9.0.3', mgmt: '10.9.0.4', plen: 24 },
  6: { peer: '2001:db8::1', own: '2001:db8::2', local: '2001:db8::3', mgmt: '2001:db8::4', plen: 64 },
} as const;

describe('nft takeover rules on a real kernel (IPv4 and IPv6)', { skip, timeout: 60_000 }, () => {
  let lab: VethLab;
  const table = tableName(`test-${process.pid}`);
  /** Exit status and output of a command in the peer's namespace (A), failing or not. */
  const fromPeer = (cmd: string, ...args: string[]): { status: number | null; out: string } => {
    const r = spawnSync('ip', ['netns', 'exec', lab.nsA, cmd, ...args], { encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  };
  const ping = (addr: string): boolean => fromPeer('ping', '-c', '1', '-W', '1', addr).status === 0;
  /**
   * The kernel's answer to one SYN to a closed port: RST (refused) when the SYN reached it. The
   * timeout stays under the 1 s initial RTO, so exactly one SYN leaves.
   */
  const tcpAnswer = (af: 4 | 6, addr: string): 'refused' | 'silent' => {
    const r = fromPeer('socat', '-u', `TCP${af}:${af === 6 ? `[${addr}]` : addr}:9,connect-timeout=0.5`, '-');
    assert.notEqual(r.status, 0, r.out);
    return /Connection refused/.test(r.out) ? 'refused' : 'silent';
  };
  /** The peer's neighbour state for addr after one probe (ping): REACHABLE once B's kernel answered. */
  const neighState = (af: 4 | 6, addr: string): string => {
    ping(addr);
    return /\b(REACHABLE|STALE|DELAY|PROBE|FAILED|INCOMPLETE)\b/.exec(lab.sh(lab.nsA, 'ip', `-${af}`, 'neigh', 'show', addr, 'dev', lab.ifA))?.[1] ?? 'none';
  };
  /**
   * Makes B's MAC the peer's permanent neighbour for addr (as if tsvs had answered). The ping
   * still queued on the unresolved entry leaves at that moment: wait for it to be counted, so the
   * counts that follow are exact.
   */
  const knowNeighbour = async (af: 4 | 6, addr: string): Promise<void> => {
    lab.sh(lab.nsA, 'ip', `-${af}`, 'neigh', 'replace', addr, 'lladdr', lab.macB, 'dev', lab.ifA, 'nud', 'permanent');
    await new Promise((r) => setTimeout(r, 200));
  };
  const counters = (): Map<string, number> => new Map([...lab.sh(lab.nsB, 'nft', 'list', 'table', 'netdev', table)
    .matchAll(/^\s*(.*?) counter packets (\d+) bytes \d+ drop$/gm)].map((m) => [m[1]!, Number(m[2])]));

  before(() => {
    lab = VethLab.create();
    for (const [ns, dev] of [[lab.nsA, lab.ifA], [lab.nsB, lab.ifB]] as const) {
      lab.sh(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=0', `net.ipv6.conf.${dev}.disable_ipv6=0`);
    }
    for (const af of [4, 6] as const) {
      const a = ADDRS[af];
      lab.sh(lab.nsA, 'ip', 'addr', 'add', `${a.peer}/${a.plen}`, 'dev', lab.ifA, ...(af === 6 ? ['nodad'] : []));
      for (const x of [a.own, a.local, a.mgmt]) lab.sh(lab.nsB, 'ip', 'addr', 'add', `${x}/${a.plen}`, 'dev', lab.ifB, ...(af === 6 ? ['nodad'] : []));
    }
    lab.sh(lab.nsB, 'sysctl', '-qw', `net.ipv4.conf.${lab.ifB}.arp_ignore=1`);
    const owned = { vips: [ip(ADDRS[4].own), ip(ADDRS[6].own)], lips: [], local: [ip(ADDRS[4].local), ip(ADDRS[6].local)] };
    const r = spawnSync('ip', ['netns', 'exec', lab.nsB, 'nft', '-f', '-'], { input: tableScript(table, [lab.ifB]) + setsScript(table, owned), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  after(() => lab?.destroy());

  for (const af of [4, 6] as const) {
    const a = ADDRS[af];
    test(`IPv${af}: the management address resolves, answers ping and TCP (RST from the kernel)`, () => {
      assert.equal(neighState(af, a.mgmt), 'REACHABLE');
      assert.equal(ping(a.mgmt), true);
      assert.equal(tcpAnswer(af, a.mgmt), 'refused');
    });

    test(`IPv${af}: for an owned address (VIP/LIP) the kernel answers neither ${af === 4 ? 'ARP' : 'ND'} nor ping nor TCP`, async () => {
      const rule = af === 4 ? 'arp daddr ip @own4' : 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } @th,64,128 @nd6';
      const before = counters().get(rule)!;
      assert.notEqual(neighState(af, a.own), 'REACHABLE');
      assert.ok(counters().get(rule)! > before, `${rule} counted the solicitations`);
      // With the neighbour known (as tsvs would have answered), the packets themselves are hidden.
      await knowNeighbour(af, a.own);
      const daddr = af === 4 ? 'ip daddr @own4' : 'ip6 daddr @own6';
      const d0 = counters().get(daddr)!;
      assert.equal(ping(a.own), false);
      assert.equal(tcpAnswer(af, a.own), 'silent');
      assert.equal(counters().get(daddr)! - d0, 2, 'one echo request and one SYN hidden');
    });

    test(`IPv${af}: for a tsvs interface address the kernel answers neither ${af === 4 ? 'ARP' : 'ND'} nor ping, but TCP still reaches it`, async () => {
      assert.notEqual(neighState(af, a.local), 'REACHABLE');
      await knowNeighbour(af, a.local);
      const echo = af === 4 ? 'ip daddr @local4 icmp type echo-request' : 'ip6 daddr @local6 icmpv6 type echo-request';
      const e0 = counters().get(echo)!;
      assert.equal(ping(a.local), false);
      assert.equal(counters().get(echo)! - e0, 1);
      assert.equal(tcpAnswer(af, a.local), 'refused');
    });
  }
});
