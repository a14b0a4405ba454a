// End to end, the production takeover: tsvs daemon (afpacket) on S1's lab with a kernel management
// address on the same WAN interface; the kernel answers only for its own address, never for tsvs's.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIP, NetnsLab, VIP, fnatRrLines } from '../../src/lab/netns-lab.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces and AF_PACKET (CI runs it as root)' : false;

/** The kernel's management address on the taken-over WAN interface (the client's /16). */
const MGMT = '10.0.0.2';
/** An interface address both tsvs (`tsip addr add`) and the kernel hold: DPVS's KNI pattern. */
const SHARED = '10.0.0.3';
const MGMT_PORT = '2222';
const CLI = fileURLToPath(new URL('../../src/cli/tsvs.js', import.meta.url));
/** The first python that has scapy: a pyenv shim may shadow Debian's python3-scapy. */
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import scapy'], { stdio: 'ignore' }).status === 0);
const SYSCTLS = ['forwarding', 'arp_ignore', 'arp_announce', 'rp_filter'];
/** Offloads the test turns on before the daemon starts (lro is fixed off on veth). */
const OFFLOADS_ON = ['gro', 'tso', 'gso', 'tx'];
const OFFLOAD_NAMES = ['generic-receive-offload', 'tcp-segmentation-offload', 'generic-segmentation-offload', 'tx-checksumming'];
/** Kernel counters in tsvs's namespace that must not move while only tsvs's traffic flows. */
const KERNEL_QUIET = ['IpInReceives', 'IpOutRequests', 'IcmpInMsgs', 'IcmpOutMsgs', 'IcmpOutEchoReps', 'TcpInSegs', 'TcpOutRsts'];

describe('takeover: nftables hides tsvs\'s traffic from the kernel, management stays with Linux', { skip, timeout: 180_000 }, () => {
  let lab: NetnsLab;
  let table = '';
  const sysctlsBefore = new Map<string, string>();
  let offloadsBefore = '';
  const cl = (): string => lab.ns.client;
  const lb = (): string => lab.ns.lb;

  const sysctl = (dev: string, key: string): string => lab.sh(lb(), 'sysctl', '-n', `net.ipv4.conf.${dev}.${key}`).trim();
  const sysctls = (): Map<string, string> => new Map([lab.wan, lab.lan].flatMap((d) => SYSCTLS.map((k) => [`${d}.${k}`, sysctl(d, k)] as const)));
  /** The OFFLOAD_NAMES lines of `ethtool -k` for the WAN interface, in OFFLOAD_NAMES order. */
  const offloads = (): string => {
    const lines = lab.sh(lb(), 'ethtool', '-k', lab.wan).split('\n');
    return OFFLOAD_NAMES.map((n) => lines.find((l) => l.startsWith(`${n}:`)) ?? `${n}: missing`).join('\n');
  };
  const nstat = (): Map<string, number> => new Map(lab.sh(lb(), 'nstat', '-asz').split('\n')
    .map((l) => l.split(/\s+/)).filter((f) => f.length >= 2 && /^\d+$/.test(f[1]!)).map((f) => [f[0]!, Number(f[1])]));
  const txPackets = (dev: string): number => Number(lab.sh(lb(), 'cat', `/sys/class/net/${dev}/statistics/tx_packets`).trim());
  /** tsvs's own per-port TX count (`opackets`), from `tsip -s link show` in dpip's format. */
  const tsvsTx = (show: string, port: string): number => {
    const m = new RegExp(`^\\d+: ${port}: .*\\n.*\\n.*\\n +ipackets +opackets +ibytes +obytes *\\n +\\d+ +(\\d+)`, 'm').exec(show);
    assert.ok(m, `no ${port} in tsip -s link show:\n${show}`);
    return Number(m[1]);
  };
  /**
   * The interfaces' tx_packets and tsvs's TX counts at one moment: background frames (a neighbour's
   * ARP probe that tsvs answers) may go out while the daemon is asked, so retry until the interface
   * counts are the same before and after the question.
   */
  const txSnapshot = (): { wan: number; lan: number; dpdk1: number; dpdk0: number } => {
    for (;;) {
      const wan = txPackets(lab.wan), lan = txPackets(lab.lan);
      const show = lab.ctl('tsip -s link show');
      if (txPackets(lab.wan) === wan && txPackets(lab.lan) === lan) return { wan, lan, dpdk1: tsvsTx(show, 'dpdk1'), dpdk0: tsvsTx(show, 'dpdk0') };
    }
  };
  /** The packet counter of each rule in the chain hooked on `dev`, keyed by the rule's match text. */
  const nftCounters = (dev: string): Map<string, number> => {
    const chains = lab.sh(lb(), 'nft', 'list', 'table', 'netdev', table).split(/\n\s*chain /);
    const chain = chains.find((c) => c.includes(`device "${dev}"`));
    assert.ok(chain, `no chain on ${dev} in table ${table}`);
    return new Map([...chain.matchAll(/^\s*(.*?) counter packets (\d+) bytes \d+ drop$/gm)].map((m) => [m[1]!, Number(m[2])]));
  };
  const nftSet = (name: string): string[] => {
    const m = /elements = \{([^}]*)\}/.exec(lab.sh(lb(), 'nft', 'list', 'set', 'netdev', table, name));
    return m ? m[1]!.split(',').map((s) => s.trim()).sort() : [];
  };
  /** One ARP who-has from `iface` in `ns`; the senders' MACs of every reply within a second. */
  const arpReplies = (ns: string, iface: string, target: string): string[] => {
    const code = `from scapy.all import Ether, ARP, srp
ans, _ = srp(Ether(dst='ff:ff:ff:ff:ff:ff')/ARP(pdst='${target}'), iface='${iface}', timeout=1, multi=True, verbose=0)
print(' '.join(r[ARP].hwsrc for _, r in ans))`;
    return lab.sh(ns, python!, '-c', code).trim().split(/\s+/).filter(Boolean);
  };
  /** One TCP connection attempt that sends exactly one SYN (the first retransmission is 1 s away). */
  const oneSyn = (ns: string, addr: string, port: number): void => {
    try {
      lab.sh(ns, 'socat', '-u', `TCP:${addr}:${port},connect-timeout=0.5`, '-');
      assert.fail(`${addr}:${port} accepted a connection`);
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
    }
  };
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
  const wanMac = (): string => lab.sh(lb(), 'cat', `/sys/class/net/${lab.wan}/address`).trim();

  before(async () => {
    assert.ok(python, 'python3 with scapy (apt-get install python3-scapy) sends the ARP probes');
    lab = new NetnsLab({ servers: 2, wanAddr: `${MGMT}/16` });
    lab.build();
    lab.startNginx(0);
    lab.startNginx(1);
    // A router, as a production box is: the kernel would forward transit traffic on tsvs's ports.
    lab.sh(lb(), 'sysctl', '-qw', 'net.ipv4.conf.all.forwarding=1');
    for (const f of OFFLOADS_ON) lab.sh(lb(), 'ethtool', '-K', lab.wan, f, 'on');
    for (const [k, v] of sysctls()) sysctlsBefore.set(k, v);
    offloadsBefore = offloads();
    // An SSH-like service of the kernel's: answers every connection with one line.
    lab.spawn(lb(), 'socat', [`TCP-LISTEN:${MGMT_PORT},reuseaddr,fork`, 'SYSTEM:echo mgmt-ok']);
    await lab.startDaemon();
    for (const line of fnatRrLines(2)) lab.ctl(line);
    table = /"nft_table":"(tsvs_[0-9a-f]{8})"/.exec(lab.daemonLog)?.[1] ?? '';
    assert.notEqual(table, '', `no nft_table in the daemon log:\n${lab.daemonLog}`);
  });

  after(async () => {
    await lab?.destroy();
  });

  test('while tsvs runs: the table, the sysctls and the offloads are in place', () => {
    assert.match(lab.sh(lb(), 'nft', 'list', 'tables'), new RegExp(`^table netdev ${table}$`, 'm'));
    assert.equal(sysctlsBefore.get(`${lab.wan}.forwarding`), '1');
    for (const d of [lab.wan, lab.lan]) {
      assert.equal(sysctl(d, 'forwarding'), '0', d);
      assert.equal(sysctl(d, 'arp_ignore'), '1', d);
      assert.equal(sysctl(d, 'arp_announce'), '2', d);
      assert.equal(sysctl(d, 'rp_filter'), sysctlsBefore.get(`${d}.rp_filter`), `${d} rp_filter untouched`);
    }
    assert.equal(offloadsBefore, OFFLOAD_NAMES.map((n) => `${n}: on`).join('\n'));
    assert.equal(offloads(), OFFLOAD_NAMES.map((n) => `${n}: off`).join('\n'));
    assert.deepEqual(nftSet('own4'), [VIP, LIP].sort());
    assert.deepEqual(nftSet('local4'), []);
  });

  test('(a) curl through the VIP works', () => {
    const body = lab.sh(cl(), 'curl', '-sS', '--fail', '--max-time', '10', '--retry', '3', '--retry-all-errors', `http://${VIP}/`);
    assert.match(body, /^rs[12] 192\.168\.100\.[23]\n$/);
  });

  test('(b) the kernel\'s management address on the WAN interface answers ping and TCP', () => {
    assert.match(lab.sh(cl(), 'ping', '-c', '3', '-i', '0.2', '-W', '2', MGMT), /3 packets transmitted, 3 received/);
    assert.equal(lab.sh(cl(), 'socat', '-u', `TCP:${MGMT}:${MGMT_PORT},connect-timeout=3`, '-'), 'mgmt-ok\n');
  });

  test('(c) VIP and LIP traffic never reaches the kernel; every frame out of tsvs\'s ports is tsvs\'s', async () => {
    await settle();
    const k0 = nstat();
    const tx0 = txSnapshot();
    const n0 = { wan: nftCounters(lab.wan), lan: nftCounters(lab.lan) };
    // Pings to the VIP (tsvs answers), SYNs to a VIP port with no service, SYNs to the LIP from a
    // real server (no connection): all for tsvs only.
    assert.match(lab.sh(cl(), 'ping', '-c', '3', '-i', '0.2', '-W', '2', VIP), /3 received/);
    for (let i = 0; i < 3; i++) oneSyn(cl(), VIP, 81);
    for (let i = 0; i < 2; i++) oneSyn(lab.ns.rs[0]!, LIP, 9);
    await settle();
    const k1 = nstat();
    for (const name of KERNEL_QUIET) assert.equal((k1.get(name) ?? 0) - (k0.get(name) ?? 0), 0, `kernel counter ${name} moved`);
    const n1 = { wan: nftCounters(lab.wan), lan: nftCounters(lab.lan) };
    // Exactly the client's 3 echo requests and 3 SYNs, and the server's 2 SYNs, were hidden.
    assert.equal(n1.wan.get('ip daddr @own4')! - n0.wan.get('ip daddr @own4')!, 6);
    assert.equal(n1.lan.get('ip daddr @own4')! - n0.lan.get('ip daddr @own4')!, 2);
    const tx1 = txSnapshot();
    const dWan = tx1.wan - tx0.wan;
    assert.equal(dWan, tx1.dpdk1 - tx0.dpdk1, 'WAN tx_packets == what tsvs sent on dpdk1');
    assert.equal(tx1.lan - tx0.lan, tx1.dpdk0 - tx0.dpdk0, 'LAN tx_packets == what tsvs sent on dpdk0');
    assert.ok(dWan >= 3, `tsvs sent its 3 echo replies (tx ${dWan})`);
  });

  test('(d) ARP: exactly one reply for the VIP and the LIP (tsvs\'s), one for the management address (the kernel\'s)', () => {
    const arpRule = 'arp daddr ip @own4';
    const before = nftCounters(lab.wan).get(arpRule)!;
    assert.deepEqual(arpReplies(cl(), `c${lab.tag}`, VIP), [wanMac()]);
    assert.equal(nftCounters(lab.wan).get(arpRule)! - before, 1, 'the request for the VIP was hidden from the kernel');
    assert.deepEqual(arpReplies(cl(), `c${lab.tag}`, MGMT), [wanMac()]);
    const lanMac = lab.sh(lb(), 'cat', `/sys/class/net/${lab.lan}/address`).trim();
    assert.deepEqual(arpReplies(lab.ns.rs[0]!, `r0${lab.tag}`, LIP), [lanMac]);
    // The kernel's addresses on other interfaces are not answered on this one (arp_ignore 1; the
    // default 0 would answer).
    lab.sh(lb(), 'ip', 'addr', 'add', '10.0.0.77/32', 'dev', 'lo');
    assert.deepEqual(arpReplies(cl(), `c${lab.tag}`, '10.0.0.77'), []);
  });

  test('an address both tsvs and the kernel hold (DPVS KNI style): tsvs answers ARP and ping, the kernel TCP', async () => {
    lab.ctl(`tsip addr add ${SHARED}/32 dev dpdk1`);
    lab.sh(lb(), 'ip', 'addr', 'add', `${SHARED}/32`, 'dev', lab.wan);
    assert.deepEqual(nftSet('local4'), [SHARED]);
    assert.deepEqual(arpReplies(cl(), `c${lab.tag}`, SHARED), [wanMac()]);
    await settle();
    const k0 = nstat();
    const ping = lab.sh(cl(), 'ping', '-c', '3', '-i', '0.2', '-W', '2', SHARED);
    assert.match(ping, /3 packets transmitted, 3 received/);
    assert.doesNotMatch(ping, /DUP!/);
    await settle();
    const k1 = nstat();
    for (const name of ['IcmpInMsgs', 'IcmpOutEchoReps']) assert.equal(k1.get(name)! - k0.get(name)!, 0, `kernel ${name} moved: tsvs alone answers ping`);
    assert.equal(lab.sh(cl(), 'socat', '-u', `TCP:${SHARED}:${MGMT_PORT},connect-timeout=3`, '-'), 'mgmt-ok\n');
  });

  test('(f) a LIP and a VIP added at runtime join the set and are hidden from then on; deleted, they leave', async () => {
    const newLip = '192.168.100.201';
    const newVip = '10.0.0.101';
    lab.ctl(`tsvsadm --add-laddr -z ${newLip} -t ${VIP}:80 -F dpdk0`);
    lab.ctl(`tsvsadm -A -t ${newVip}:80 -s rr`);
    assert.deepEqual(nftSet('own4'), [VIP, newVip, LIP, newLip].sort());
    await settle();
    const k0 = nstat();
    const n0 = { wan: nftCounters(lab.wan), lan: nftCounters(lab.lan) };
    for (let i = 0; i < 2; i++) oneSyn(cl(), newVip, 80);
    oneSyn(lab.ns.rs[1]!, newLip, 9);
    await settle();
    const k1 = nstat();
    for (const name of KERNEL_QUIET) assert.equal((k1.get(name) ?? 0) - (k0.get(name) ?? 0), 0, `kernel counter ${name} moved`);
    assert.equal(nftCounters(lab.wan).get('ip daddr @own4')! - n0.wan.get('ip daddr @own4')!, 2);
    assert.equal(nftCounters(lab.lan).get('ip daddr @own4')! - n0.lan.get('ip daddr @own4')!, 1);
    lab.ctl(`tsvsadm -D -t ${newVip}:80`);
    lab.ctl(`tsvsadm --del-laddr -z ${newLip} -t ${VIP}:80 -F dpdk0`);
    assert.deepEqual(nftSet('own4'), [VIP, LIP].sort());
  });

  test('(e) SIGTERM removes the table and puts the sysctls and offloads back', async () => {
    assert.equal(await lab.stopDaemon(), 0);
    assert.doesNotMatch(lab.sh(lb(), 'nft', 'list', 'tables'), /tsvs_/);
    assert.deepEqual(sysctls(), sysctlsBefore);
    assert.equal(offloads(), offloadsBefore);
    // The management address keeps working without tsvs.
    assert.equal(lab.sh(cl(), 'socat', '-u', `TCP:${MGMT}:${MGMT_PORT},connect-timeout=3`, '-'), 'mgmt-ok\n');
  });

  test('a stale table of the same name (a crashed daemon\'s) is replaced at start', async () => {
    // What a daemon killed by SIGKILL could leave: here a chain that drops everything on the WAN.
    lab.sh(lb(), 'nft', `table netdev ${table} { set junk { type ipv4_addr; }; chain junk { type filter hook ingress device "${lab.wan}" priority 0; policy drop; }; }`);
    const ping = spawnSync('ip', ['netns', 'exec', cl(), 'ping', '-c', '1', '-W', '1', MGMT], { encoding: 'utf8' });
    assert.match(ping.stdout, /0 received/, 'the stale table drops management traffic');
    await lab.startDaemon();
    const t = lab.sh(lb(), 'nft', 'list', 'table', 'netdev', table);
    assert.doesNotMatch(t, /junk/);
    assert.match(lab.sh(cl(), 'ping', '-c', '1', '-W', '2', MGMT), /1 received/);
    assert.equal(await lab.stopDaemon(), 0);
    assert.doesNotMatch(lab.sh(lb(), 'nft', 'list', 'tables'), /tsvs_/);
  });

  test('a start that fails after the takeover gives everything back', () => {
    const conf = join(lab.dir, 'tsvs.conf');
    const bad = join(lab.dir, 'bad.conf');
    writeFileSync(join(lab.dir, 'bad.script'), `tsvsadm -A -t ${VIP}:80 -s rr\ntsvsadm -A -t ${VIP}:80 -s nosuchsched\n`);
    writeFileSync(bad, readFileSync(conf, 'utf8').replace('global_defs {', `global_defs {\n    startup_script ${join(lab.dir, 'bad.script')}`));
    const r = spawnSync('ip', ['netns', 'exec', lb(), process.execPath, CLI, 'daemon', '-f', bad], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /bad\.script: line 2/);
    assert.doesNotMatch(lab.sh(lb(), 'nft', 'list', 'tables'), /tsvs_/);
    assert.deepEqual(sysctls(), sysctlsBefore);
    assert.equal(offloads(), offloadsBefore);
  });

  test('a batch whose addresses nft cannot install is refused and changes nothing', async () => {
    await lab.startDaemon();
    for (const line of fnatRrLines(2)) lab.ctl(line);
    lab.sh(lb(), 'nft', 'delete', 'table', 'netdev', table);
    const r = spawnSync(process.execPath, [CLI.replace(/tsvs\.js$/, 'tsvsadm.js'), '-A', '-t', '10.0.0.102:80', '-s', 'rr'],
      { encoding: 'utf8', env: { ...process.env, TSVS_SOCKET: lab.socket } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^tsvsadm: takeover: updating the owned addresses in table netdev ${table}: nft -f - failed \\(exit 1\\): .*Error: No such file or directory\\n.*\\n.*\\n\\(\\d+ more lines\\)\\n$`));
    assert.doesNotMatch(lab.ctl('tsvsadm -Ln'), /10\.0\.0\.102/);
    assert.match(lab.ctl('tsvsadm -Ln'), /10\.0\.0\.100:80/);
    assert.equal(await lab.stopDaemon(), 0);
    assert.deepEqual(sysctls(), sysctlsBefore);
  });
});
