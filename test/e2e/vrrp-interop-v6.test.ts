// VRRPv3 over IPv6 with Debian's keepalived 2.2.7 in network namespaces (the IPv4 half is
// vrrp-interop.test.ts, on the same lab): adverts to ff02::12 from each side's link-local address
// with hop limit 255, the IPv6 VIP held by a real `tsvs daemon` (ping -6 answered by it) or by
// keepalived's kernel, unsolicited NAs (override flag, target the VIP, to ff02::1) moving the
// client's neighbour entry on every takeover, and each side accepting the other's adverts: ours
// pass keepalived's kernel checksum (IPV6_CHECKSUM drops bad ones silently, so the proof is that
// keepalived hears us) and keepalived's decode with our decoder to what we encode for its config.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildAdvertFrame, multicastMac, parseVrrpFrame } from '../../src/keepalived/vrrp/frame.js';
import { decodeAdvert } from '../../src/keepalived/vrrp/advert.js';
import { buildUnsolicitedNa } from '../../src/keepalived/vrrp/garp.js';
import { parseIp, parseMac } from '../../src/packet/inet.js';
import { LAB6, type Proc, VrrpLab } from './vrrp-lab.js';
import { type Seen, assertGap, masterDown, ourLogTime, ourStates, seen, skewTime, unicastBothWays, vrrpConf } from './vrrp-observe.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces, AF_PACKET and keepalived (CI runs it as root)' : false;

const VIP6 = LAB6.vip;
const MCAST6 = 'ff02::12';
const ALL_NODES = 'ff02::1';
/** The NA flags word of an unsolicited NA from a host: Override only (not Router, not Solicited). */
const NA_OVERRIDE = 0x20000000;
/** What keepalived's vrrp_check_packet (and our check.ts) would log about a bad advert. */
const COMPLAINT = /invalid|checksum|wrong version|packet too|unexpected ip number|Expected (un|mult)icast|not present in MASTER advert|mismatch/i;

describe('VRRPv3 over IPv6 with Debian keepalived 2.2.7', { skip, timeout: 180_000 }, () => {
  let lab: VrrpLab;
  let kaNotify: string;
  let tsNotify: string;
  let ka: Proc;
  let ours: Proc;
  let daemon: Proc;
  /** Every keepalived run's log, for the no-complaint check. */
  const kaRuns: Proc[] = [];
  const kaConf = (prio: number): string => vrrpConf({ iface: lab.ifs.ka, prio, vip: `${VIP6}/128`, notify: `${lab.notifyScript} ${kaNotify}`, tsvs: false });
  const tsConf = (prio: number): string => vrrpConf({ iface: 'dpdk0.kni', prio, vip: `${VIP6}/128`, notify: `${lab.notifyScript} ${tsNotify}`, tsvs: true });
  const startKa = (prio: number, name: string): Proc => {
    ka = lab.startKeepalived(kaConf(prio), name);
    kaRuns.push(ka);
    return ka;
  };
  const daemonHasVip = (): boolean => lab.ctl('tsip addr show').includes(VIP6);
  /** SIGKILL keepalived's VRRP child (it would send priority 0 on its parent's death) and the parent. */
  const killKeepalived = async (name: string): Promise<void> => {
    process.kill(Number(readFileSync(join(lab.dir, `${name}.vrrp.pid`), 'utf8').trim()), 'SIGKILL');
    await lab.kill(ka, 'SIGKILL');
  };
  const adverts = (s: Seen[]): Seen[] => s.filter((x) => x.kind === 'advert');
  /** Every advert of `who` is the same: from its link-local address and MAC, to ff02::12, hop limit 255. */
  const assertAdvertsFrom = (s: Seen[], who: 'ka' | 'ts', prio: number): void => {
    assert.deepEqual([...new Set(s.map((x) => `${x.src} ${x.mac} ${x.dst} ${x.ttl} ${x.prio}`))], [`${lab.linkLocal(who)} ${lab.mac[who]} ${MCAST6} 255 ${prio}`]);
  };
  /** Two unsolicited NAs on becoming master, two more 1 s later (vrrp_garp_master_repeat 2, delay 1), all from `who`. */
  const assertNas = (s: Seen[], who: 'ka' | 'ts', firstAdvert: Seen): void => {
    const nas = s.filter((x) => x.kind === 'na' && x.t >= firstAdvert.t - 0.05);
    const mac = lab.mac[who];
    assert.deepEqual(nas.map((x) => [x.mac, x.src, x.dst, x.ttl, x.naFlags, x.target, x.targetMac]), Array(4).fill([mac, VIP6, ALL_NODES, 255, NA_OVERRIDE, VIP6, mac]));
    // Byte for byte the NA we build for that MAC and VIP (keepalived's included: same frame, same checksum).
    const buf = new Uint8Array(128);
    const want = Buffer.from(buf.subarray(0, buildUnsolicitedNa(buf, parseMac(mac)!, parseIp(VIP6)!))).toString('hex');
    for (const na of nas) assert.equal(Buffer.from(na.frame.data).toString('hex'), want);
    assertGap('first NA after the first master advert', nas[0]!.t - firstAdvert.t, 0);
    assertGap('second NA burst', nas[2]!.t - nas[0]!.t, 1);
  };

  before(async () => {
    lab = new VrrpLab(LAB6);
    kaNotify = join(lab.dir, 'ka.notify');
    tsNotify = join(lab.dir, 'ts.notify');
    daemon = await lab.startDaemon();
  });
  after(async () => {
    await lab?.destroy();
  });

  test('keepalived master (150) with tsvs backup (100): one master, ping -6 answered by keepalived, its advert decodes to what we encode for its config', async () => {
    const cap = lab.capture();
    await sleep(500);
    startKa(150, 'ka1');
    await lab.waitFor(ka, '(VI_1) Entering MASTER STATE', 10_000);
    ours = lab.startOurs(tsConf(100));
    // Longer than our Master_Down_Interval (3.61 s): we stay backup only if we accept its adverts.
    await sleep(4500);
    const s = seen(await cap.stop(), VIP6);
    assert.deepEqual(ourStates(ours), ['BACKUP']);
    assert.deepEqual(lab.readNotify(tsNotify), ['INSTANCE VI_1 BACKUP 100']);
    assert.deepEqual(lab.readNotify(kaNotify), ['INSTANCE VI_1 BACKUP 150', 'INSTANCE VI_1 MASTER 150']);
    assert.ok(!ours.out.includes('vrrp_advert_rejected'), ours.out);
    assert.equal(daemonHasVip(), false);
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ka });
    const ads = adverts(s);
    assertAdvertsFrom(ads, 'ka', 150);
    for (let i = 1; i < ads.length; i++) assertGap('advert interval', ads[i]!.t - ads[i - 1]!.t, 1);
    assertNas(s, 'ka', ads[0]!);

    // Byte level: keepalived's advert decodes with our decoder, and is what we encode for its
    // configuration (v3, 100 cs, checksum over the IPv6 pseudo-header), Ethernet header included.
    const d = ads[0]!.frame.data;
    const l3 = parseVrrpFrame(d, 0, d.length)!;
    const a = decodeAdvert(d, l3.off, l3.len, 6)!;
    assert.deepEqual({ ...a, addrs: a.addrs.map((x) => x.w3) }, {
      version: 3, type: 1, vrid: 51, priority: 150, count: 1, authType: 0, advertInt: 100, checksum: a.checksum, addrs: [parseIp(VIP6)!.w3],
    });
    const buf = new Uint8Array(128);
    const g = parseIp(MCAST6)!;
    const n = buildAdvertFrame(buf, parseMac(lab.mac.ka)!, multicastMac(g), parseIp(lab.linkLocal('ka'))!, g,
      { version: 3, vrid: 51, priority: 150, advertInt: 100, addrs: [parseIp(VIP6)!] }, 0);
    assert.equal(n, d.length);
    assert.equal(Buffer.from(buf.subarray(54, n)).toString('hex'), Buffer.from(d.subarray(l3.off, l3.off + l3.len)).toString('hex'));
    assert.equal(Buffer.from(buf.subarray(0, 14)).toString('hex'), Buffer.from(d.subarray(0, 14)).toString('hex'));
    // The IPv6 header but its flow label (the kernel's, per flow): version 6, traffic class 0xc0,
    // payload 24, next header 112, hop limit 255, the addresses.
    const ip6hdr = (b: Uint8Array): string => Buffer.concat([Buffer.of(b[14]!, b[15]! & 0xf0), Buffer.from(b.subarray(18, 54))]).toString('hex');
    assert.equal(ip6hdr(d), ip6hdr(buf));
  });

  test('keepalived killed: tsvs takes over within 3 x advert_int + skew, its unsolicited NAs move the client\'s neighbour entry', async (t) => {
    const s = seen(await lab.failover(() => killKeepalived('ka1'), ours, '"message":"(VI_1) Entering MASTER STATE"', 1500), VIP6);
    const ads = adverts(s);
    const lastKa = ads.filter((x) => x.mac === lab.mac.ka).at(-1)!;
    const ourAds = ads.filter((x) => x.mac === lab.mac.ts);
    assert.equal(lastKa.prio, 150);
    t.diagnostic(`takeover ${assertGap('our takeover after keepalived\'s last advert', ourAds[0]!.t - lastKa.t, masterDown(100)).toFixed(4)} s for ${masterDown(100)}`);
    assertAdvertsFrom(ourAds, 'ts', 100);
    assertNas(s, 'ts', ourAds[0]!);
    // Moved by the NAs alone (an unsolicited NA leaves the entry STALE): nothing was sent to the VIP since keepalived held it.
    assert.deepEqual(lab.vipNeighbour(), { mac: lab.mac.ts, state: 'STALE' });
    assert.ok(daemonHasVip(), 'the daemon holds the VIP on dpdk0');
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ts });
    assert.deepEqual(lab.readNotify(tsNotify).slice(-1), ['INSTANCE VI_1 MASTER 100']);
  });

  test('keepalived back (preempt): it hears our adverts, takes the VIP back, its NAs move the client\'s entry back', async () => {
    const cap = lab.capture();
    await sleep(500);
    const from = ours.out.length;
    startKa(150, 'ka2');
    await lab.waitFor(ours, '"message":"(VI_1) Entering BACKUP STATE"', 10_000, from);
    await sleep(1500);
    const s = seen(await cap.stop(), VIP6);
    // keepalived accepted our advert (all its checks passed, the kernel's checksum first) and discarded it on priority.
    assert.ok(ka.out.includes(`(VI_1) received lower priority (100) advert from ${lab.linkLocal('ts')} - discarding`), ka.out);
    assert.ok(ours.out.slice(from).includes(`"message":"(VI_1) Master received advert from ${lab.linkLocal('ka')} with higher priority 150, ours 100"`), ours.out);
    const ads = adverts(s);
    const kaFirst = ads.find((x) => x.mac === lab.mac.ka)!;
    assert.deepEqual(ads.filter((x) => x.mac === lab.mac.ts && x.t > kaFirst.t + 0.05), [], 'we stop advertising once keepalived is master');
    assertNas(s, 'ka', kaFirst);
    assert.deepEqual(lab.vipNeighbour(), { mac: lab.mac.ka, state: 'STALE' });
    assert.equal(daemonHasVip(), false);
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ka });
    assert.deepEqual(lab.readNotify(tsNotify).slice(-1), ['INSTANCE VI_1 BACKUP 100']);
    await lab.kill(ours, 'SIGTERM');
    await lab.kill(ka, 'SIGTERM');
  });

  test('tsvs master (100) with keepalived backup (80): one master, ping -6 answered by the daemon, keepalived accepts our adverts', async () => {
    const cap = lab.capture();
    await sleep(500);
    const notifyFrom = { ka: lab.readNotify(kaNotify).length, ts: lab.readNotify(tsNotify).length };
    ours = lab.startOurs(tsConf(100));
    await lab.waitFor(ours, '"message":"(VI_1) Entering MASTER STATE"', 10_000);
    startKa(80, 'ka3');
    await lab.waitFor(ka, '(VI_1) Entering BACKUP STATE (init)', 10_000);
    // Longer than keepalived's Master_Down_Interval (3.69 s): it stays backup only if it hears us.
    await sleep(4500);
    const s = seen(await cap.stop(), VIP6);
    assert.deepEqual(ourStates(ours), ['BACKUP', 'MASTER']);
    assert.deepEqual(lab.readNotify(tsNotify).slice(notifyFrom.ts), ['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 100']);
    assert.deepEqual(lab.readNotify(kaNotify).slice(notifyFrom.ka), ['INSTANCE VI_1 BACKUP 80']);
    assert.ok(!ka.out.includes('Entering MASTER STATE'), ka.out);
    const ads = adverts(s);
    assertAdvertsFrom(ads, 'ts', 100);
    for (let i = 1; i < ads.length; i++) assertGap('advert interval', ads[i]!.t - ads[i - 1]!.t, 1);
    assertNas(s, 'ts', ads[0]!);
    assert.deepEqual(lab.vipNeighbour(), { mac: lab.mac.ts, state: 'STALE' });
    assert.ok(daemonHasVip(), 'the daemon holds the VIP on dpdk0');
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ts });
  });

  test('SIGKILL of tsvs: keepalived takes over within 3 x advert_int + skew; tsvs back (preempt) takes the VIP back', async (t) => {
    const kaFrom = ka.out.length;
    let s = seen(await lab.failover(() => lab.kill(ours, 'SIGKILL'), ka, '(VI_1) Entering MASTER STATE', 1500), VIP6);
    let ads = adverts(s);
    const lastOurs = ads.filter((x) => x.mac === lab.mac.ts).at(-1)!;
    const firstKa = ads.find((x) => x.mac === lab.mac.ka)!;
    assert.equal(lastOurs.prio, 100);
    t.diagnostic(`takeover ${assertGap('keepalived takeover after our last advert', firstKa.t - lastOurs.t, masterDown(80)).toFixed(4)} s for ${masterDown(80)}`);
    assertAdvertsFrom(ads.filter((x) => x.mac === lab.mac.ka), 'ka', 80);
    assertNas(s, 'ka', firstKa);
    assert.deepEqual(lab.vipNeighbour(), { mac: lab.mac.ka, state: 'STALE' });
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ka });

    const cap = lab.capture();
    await sleep(500);
    ours = lab.startOurs(tsConf(100));
    await lab.waitFor(ours, '"message":"(VI_1) Entering MASTER STATE"', 10_000);
    await lab.waitFor(ka, '(VI_1) Entering BACKUP STATE', 5000, kaFrom);
    await sleep(1500);
    s = seen(await cap.stop(), VIP6);
    assert.ok(ours.out.includes(`"message":"(VI_1) received lower priority (80) advert from ${lab.linkLocal('ka')} - discarding"`), ours.out);
    const preempt = ourLogTime(ours, '(VI_1) Entering MASTER STATE') - ourLogTime(ours, '(VI_1) Entering BACKUP STATE (init)');
    t.diagnostic(`preemption ${assertGap('our preemption after start', preempt, masterDown(100)).toFixed(3)} s for ${masterDown(100)}`);
    assert.ok(ka.out.slice(kaFrom).includes(`(VI_1) Master received advert from ${lab.linkLocal('ts')} with higher priority 100, ours 80`), ka.out);
    ads = adverts(s);
    const ourFirst = ads.find((x) => x.mac === lab.mac.ts)!;
    assertNas(s, 'ts', ourFirst);
    assert.deepEqual(lab.vipNeighbour(), { mac: lab.mac.ts, state: 'STALE' });
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ts });
    assert.ok(!ours.out.includes('vrrp_advert_rejected'), ours.out);
  });

  test('clean stop of tsvs: priority 0 over IPv6, keepalived master after Skew_Time', async (t) => {
    const ads = adverts(seen(await lab.failover(() => lab.kill(ours, 'SIGTERM'), ka, '(VI_1) Entering MASTER STATE', 300), VIP6));
    const zero = ads.find((x) => x.mac === lab.mac.ts && x.prio === 0)!;
    assert.ok(zero, 'we sent a priority 0 advert');
    const firstKa = ads.find((x) => x.mac === lab.mac.ka && x.t > zero.t)!;
    t.diagnostic(`takeover ${assertGap('keepalived takeover after our priority 0', firstKa.t - zero.t, skewTime(80)).toFixed(4)} s for ${skewTime(80)}`);
    assert.equal(daemonHasVip(), false);
    assert.deepEqual(lab.readNotify(tsNotify).at(-1), 'INSTANCE VI_1 STOP 100');
  });

  test('unicast_peer over IPv6 between link-local addresses: keepalived stays backup while we advertise to it, we discard its lower priority adverts and preempt', async () => {
    const [tsLl, kaLl] = [lab.linkLocal('ts'), lab.linkLocal('ka')];
    const uni = (c: string, src: string, peer: string): string => c.replace('virtual_router_id', `unicast_src_ip ${src}\n  unicast_peer {\n    ${peer}\n  }\n  virtual_router_id`);
    await lab.kill(ka, 'SIGTERM');
    // Our side must resolve keepalived's link-local MAC itself (a scoped address: fe80::...%if).
    lab.sh(lab.ns.ts, 'ip', '-6', 'neigh', 'flush', 'dev', lab.ifs.ts);
    await unicastBothWays(lab, {
      startOurs: (run) => (ours = lab.startOurs(uni(tsConf(100), tsLl, kaLl), `ts-uni${run}`)),
      startKa: () => { ka = lab.startKeepalived(uni(kaConf(80), kaLl, tsLl), 'ka-uni'); kaRuns.push(ka); return ka; },
      tsAddr: tsLl, kaAddr: kaLl,
    });
    // Back to where the previous test left things: keepalived alone, master on multicast.
    startKa(80, 'ka-after');
    await lab.waitFor(ka, '(VI_1) Entering MASTER STATE', 10_000);
  });

  test('a host that forwards IPv6: the daemon turns IPv6 off on its port, our instance needs mcast_src_ip, and with it keepalived hears us', async () => {
    const ll = lab.linkLocal('ts');
    await lab.kill(daemon, 'SIGTERM');
    lab.sh(lab.ns.ts, 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
    daemon = await lab.startDaemon();
    assert.equal(lab.sh(lab.ns.ts, 'sysctl', '-n', `net.ipv6.conf.${lab.ifs.ts}.disable_ipv6`).trim(), '1');
    assert.throws(() => lab.linkLocal('ts'), /no IPv6 link-local address/);
    ours = lab.startOurs(tsConf(100), 'ts-nosrc');
    await once(ours.child, 'close');
    assert.equal(ours.child.exitCode, 1);
    assert.match(ours.out, new RegExp(`vrrp_instance VI_1: interface ${lab.ifs.ts} has no IPv6 address to send adverts from \\(add one, or set unicast_src_ip / mcast_src_ip\\)`));
    const kaFrom = ka.out.length;
    ours = lab.startOurs(tsConf(100).replace('virtual_router_id', `mcast_src_ip ${ll}\n  virtual_router_id`), 'ts-src');
    await lab.waitFor(ours, '"message":"(VI_1) Entering MASTER STATE"', 10_000);
    await lab.waitFor(ka, `(VI_1) Master received advert from ${ll} with higher priority 100, ours 80`, 5000, kaFrom);
    await lab.waitFor(ka, '(VI_1) Entering BACKUP STATE', 5000, kaFrom);
    assert.ok(daemonHasVip(), 'the daemon holds the VIP on dpdk0');
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ts });
    assert.ok(!ours.out.includes('vrrp_advert_rejected'), ours.out);
    await lab.kill(ours, 'SIGTERM');
    await lab.kill(ka, 'SIGTERM');
    for (const p of kaRuns) assert.deepEqual(p.out.split('\n').filter((l) => COMPLAINT.test(l)), []);
  });
});

