// VRRP interop with Debian's keepalived 2.2.7 in network namespaces: tsvs (our VRRP + `tsvs daemon`
// holding the VIP on port dpdk0) against keepalived, both ways round. One master at a time; the
// backup takes over 3 x advert_int + Skew_Time after the master dies (SIGKILL), Skew_Time after a
// clean stop (priority 0); the higher priority takes back with preempt; mismatched auth is rejected
// and logged by both. Timings are measured on an observer's capture of the adverts themselves.
//
// (Tolerances and the capture's reading: vrrp-observe.ts.)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CaptureFrame } from '../../src/drivers/pcap.js';
import { buildAdvertFrame, multicastMac, parseVrrpFrame } from '../../src/keepalived/vrrp/frame.js';
import { parseIp, parseMac } from '../../src/packet/inet.js';
import { KA_ADDR, type Proc, TS_ADDR, VIP, VrrpLab } from './vrrp-lab.js';
import { type InstanceConf, type Seen, assertGap, masterDown, ourLogTime, ourStates, seen as seenFor, skewTime, unicastBothWays, vrrpConf } from './vrrp-observe.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces, AF_PACKET and keepalived (CI runs it as root)' : false;

const seen = (frames: CaptureFrame[]): Seen[] => seenFor(frames, VIP);
const conf = (o: Omit<InstanceConf, 'vip'>): string => vrrpConf({ ...o, vip: `${VIP}/32` });

describe('VRRP interop with Debian keepalived 2.2.7', { skip, timeout: 240_000 }, () => {
  let lab: VrrpLab;
  let kaNotify: string;
  let tsNotify: string;
  let ka: Proc;
  let ours: Proc;
  const kaConf = (prio: number, pass = 'secret1', unicast = false): string => conf({
    iface: lab.ifs.ka, prio, pass, notify: `${lab.notifyScript} ${kaNotify}`, tsvs: false, ...(unicast ? { unicast: { src: KA_ADDR, peer: TS_ADDR } } : {}),
  });
  const tsConf = (prio: number, pass = 'secret1', unicast = false): string => conf({
    iface: 'dpdk0.kni', prio, pass, notify: `${lab.notifyScript} ${tsNotify}`, tsvs: true, ...(unicast ? { unicast: { src: TS_ADDR, peer: KA_ADDR } } : {}),
  });
  const daemonHasVip = (): boolean => lab.ctl('tsip addr show').includes(VIP);
  /** SIGKILL keepalived's VRRP child (it would send priority 0 on its parent's death) and the parent. */
  const killKeepalived = async (name = 'ka'): Promise<void> => {
    const vrrpPid = Number(readFileSync(join(lab.dir, `${name}.vrrp.pid`), 'utf8').trim());
    process.kill(vrrpPid, 'SIGKILL');
    await lab.kill(ka, 'SIGKILL');
  };

  /** Stops our VRRP with sig while capturing; the adverts seen until keepalived is master. */
  const stopOursUntilKeepalivedMaster = async (sig: NodeJS.Signals): Promise<Seen[]> =>
    seen(await lab.failover(() => lab.kill(ours, sig), ka, '(VI_1) Entering MASTER STATE', 300)).filter((x) => x.kind === 'advert');

  before(async () => {
    lab = new VrrpLab();
    kaNotify = join(lab.dir, 'ka.notify');
    tsNotify = join(lab.dir, 'ts.notify');
    await lab.startDaemon();
  });
  after(async () => {
    await lab?.destroy();
  });

  test('tsvs master (priority 100) with keepalived backup (80): one master, the VIP answers from tsvs, GARPs as configured', async () => {
    const cap = lab.capture();
    await sleep(500);
    ours = lab.startOurs(tsConf(100));
    await lab.waitFor(ours, '"message":"(VI_1) Entering MASTER STATE"', 10_000);
    ka = lab.startKeepalived(kaConf(80));
    await lab.waitFor(ka, '(VI_1) Entering BACKUP STATE (init)', 10_000);
    // Two more adverts and the second GARP burst (vrrp_garp_master_delay 1).
    await sleep(4500);
    const s = seen(await cap.stop());
    assert.deepEqual(ourStates(ours), ['BACKUP', 'MASTER']);
    assert.deepEqual(lab.readNotify(tsNotify), ['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 100']);
    assert.deepEqual(lab.readNotify(kaNotify), ['INSTANCE VI_1 BACKUP 80']);
    assert.ok(!ka.out.includes('Entering MASTER STATE'), ka.out);
    assert.ok(daemonHasVip(), 'the daemon holds the VIP on dpdk0');
    const ping = lab.pingVip();
    assert.deepEqual(ping, { ok: true, mac: lab.mac.ts });
    // Only we advertise; every second.
    const adverts = s.filter((x) => x.kind === 'advert');
    assert.deepEqual([...new Set(adverts.map((x) => `${x.src} ${x.mac} ${x.prio}`))], [`${TS_ADDR} ${lab.mac.ts} 100`]);
    for (let i = 1; i < adverts.length; i++) assertGap('advert interval', adverts[i]!.t - adverts[i - 1]!.t, 1);
    // vrrp_garp_master_repeat 2, then 2 more after vrrp_garp_master_delay 1, from the tsvs port's MAC.
    const garps = s.filter((x) => x.kind === 'garp');
    assert.deepEqual(garps.map((x) => x.mac), [lab.mac.ts, lab.mac.ts, lab.mac.ts, lab.mac.ts]);
    assertGap('first GARP after our first master advert', garps[0]!.t - adverts[0]!.t, 0);
    assertGap('second GARP burst', garps[2]!.t - garps[0]!.t, 1);
  });

  test('SIGKILL of tsvs: keepalived takes over within 3 x advert_int + skew; its advert is byte for byte ours for its config', async () => {
    const s = await stopOursUntilKeepalivedMaster('SIGKILL');
    const lastOurs = s.filter((x) => x.src === TS_ADDR).at(-1)!;
    const firstKa = s.find((x) => x.src === KA_ADDR)!;
    assert.equal(lastOurs.prio, 100);
    assert.equal(firstKa.prio, 80);
    assertGap('keepalived takeover after our last advert', firstKa.t - lastOurs.t, masterDown(80));
    assert.equal(lab.readNotify(kaNotify).at(-1), 'INSTANCE VI_1 MASTER 80');
    // Golden vector, live: keepalived's VRRP part equals what we encode for its configuration.
    const d = firstKa.frame.data;
    const l3 = parseVrrpFrame(d, 0, d.length)!;
    const buf = new Uint8Array(128);
    const g = parseIp('224.0.0.18')!;
    const n = buildAdvertFrame(buf, parseMac(lab.mac.ka)!, multicastMac(g), parseIp(KA_ADDR)!, g,
      { version: 2, vrid: 51, priority: 80, advertInt: 1, addrs: [parseIp(VIP)!], authPass: 'secret1' }, 0);
    assert.equal(Buffer.from(buf.subarray(34, n)).toString('hex'), Buffer.from(d.subarray(l3.off, l3.off + l3.len)).toString('hex'));
    assert.equal(Buffer.from(buf.subarray(0, 14)).toString('hex'), Buffer.from(d.subarray(0, 14)).toString('hex'));
  });

  test('tsvs restarted (preempt): it takes the VIP back after its master down interval', async () => {
    const cap = lab.capture();
    await sleep(500);
    const kaFrom = ka.out.length;
    ours = lab.startOurs(tsConf(100));
    await lab.waitFor(ours, '"message":"(VI_1) Entering MASTER STATE"', 10_000);
    await lab.waitFor(ka, '(VI_1) Entering BACKUP STATE', 5000, kaFrom);
    await sleep(1500);
    const s = seen(await cap.stop());
    // Our backup discarded keepalived's lower priority adverts, then preempted on time.
    assert.ok(ours.out.includes(`"message":"(VI_1) received lower priority (80) advert from ${KA_ADDR} - discarding"`), ours.out);
    assertGap('our preemption after start', ourLogTime(ours, '(VI_1) Entering MASTER STATE') - ourLogTime(ours, '(VI_1) Entering BACKUP STATE (init)'), masterDown(100));
    assert.ok(ka.out.slice(kaFrom).includes(`(VI_1) Master received advert from ${TS_ADDR} with higher priority 100, ours 80`), ka.out);
    const adverts = s.filter((x) => x.kind === 'advert');
    const ourFirst = adverts.findIndex((x) => x.src === TS_ADDR);
    assert.deepEqual(adverts.slice(ourFirst).filter((x) => x.src === KA_ADDR), [], 'keepalived stops advertising once we are master');
    assert.equal(lab.readNotify(kaNotify).at(-1), 'INSTANCE VI_1 BACKUP 80');
    assert.ok(daemonHasVip());
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ts });
  });

  test('clean stop of tsvs: priority 0, VIP removed from the daemon, keepalived master after Skew_Time', async () => {
    const s = await stopOursUntilKeepalivedMaster('SIGTERM');
    const zero = s.find((x) => x.src === TS_ADDR && x.prio === 0)!;
    assert.ok(zero, 'we sent a priority 0 advert');
    const firstKa = s.find((x) => x.src === KA_ADDR && x.t > zero.t)!;
    assertGap('keepalived takeover after our priority 0', firstKa.t - zero.t, skewTime(80));
    assert.equal(daemonHasVip(), false);
    assert.equal(lab.readNotify(tsNotify).at(-1), 'INSTANCE VI_1 STOP 100');
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ka });
    await lab.kill(ka, 'SIGTERM');
  });

  test('keepalived master (150) with tsvs backup (100); keepalived killed: tsvs takes over on time; keepalived back: it preempts', async () => {
    ka = lab.startKeepalived(kaConf(150), 'ka2');
    await lab.waitFor(ka, '(VI_1) Entering MASTER STATE', 10_000);
    const notifyBefore = lab.readNotify(tsNotify).length;
    ours = lab.startOurs(tsConf(100));
    await sleep(5000);
    assert.deepEqual(ourStates(ours), ['BACKUP']);
    assert.deepEqual(lab.readNotify(tsNotify).slice(notifyBefore), ['INSTANCE VI_1 BACKUP 100']);
    assert.equal(daemonHasVip(), false);
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ka });

    let s = seen(await lab.failover(() => killKeepalived('ka2'), ours, '"message":"(VI_1) Entering MASTER STATE"', 1500)).filter((x) => x.kind === 'advert');
    const lastKa = s.filter((x) => x.src === KA_ADDR).at(-1)!;
    const firstOurs = s.find((x) => x.src === TS_ADDR)!;
    assert.deepEqual([lastKa.prio, firstOurs.prio], [150, 100]);
    assertGap('our takeover after keepalived\'s last advert', firstOurs.t - lastKa.t, masterDown(100));
    assert.ok(daemonHasVip());
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ts });

    const cap = lab.capture();
    await sleep(500);
    const from = ours.out.length;
    ka = lab.startKeepalived(kaConf(150), 'ka3');
    await lab.waitFor(ours, '"message":"(VI_1) Entering BACKUP STATE"', 10_000, from);
    await sleep(300);
    s = seen(await cap.stop()).filter((x) => x.kind === 'advert');
    assert.ok(ours.out.slice(from).includes(`"message":"(VI_1) Master received advert from ${KA_ADDR} with higher priority 150, ours 100"`), ours.out);
    assert.ok(ka.out.includes(`(VI_1) received lower priority (100) advert from ${TS_ADDR} - discarding`), ka.out);
    const kaFirst = s.find((x) => x.src === KA_ADDR)!;
    assert.deepEqual(s.filter((x) => x.src === TS_ADDR && x.t > kaFirst.t + 0.05), [], 'we stop advertising once keepalived is master');
    assert.equal(daemonHasVip(), false);
    assert.deepEqual(lab.pingVip(), { ok: true, mac: lab.mac.ka });
    await lab.kill(ours, 'SIGTERM');
    await lab.kill(ka, 'SIGTERM');
  });

  test('mismatched auth_pass: each side rejects the other\'s adverts and logs keepalived\'s message', async () => {
    ka = lab.startKeepalived(kaConf(80, 'wrongpw'), 'ka4');
    ours = lab.startOurs(tsConf(100, 'secret1'));
    await lab.waitFor(ours, '"message":"(VI_1) received an invalid passwd!"', 10_000);
    await lab.waitFor(ka, '(VI_1) received an invalid passwd!', 10_000);
    // Neither hears a valid master: both go MASTER (split brain, as with two keepalived).
    await lab.waitFor(ours, '"message":"(VI_1) Entering MASTER STATE"', 10_000);
    await lab.waitFor(ka, '(VI_1) Entering MASTER STATE', 10_000);
    const rejected = ours.out.split('\n').filter((l) => l.includes('"event":"vrrp_advert_rejected"'));
    assert.ok(rejected.length >= 1);
    for (const l of rejected) {
      const r = JSON.parse(l) as { instance: string; from: string; message: string };
      assert.deepEqual([r.instance, r.from, r.message], ['VI_1', KA_ADDR, '(VI_1) received an invalid passwd!']);
    }
    await lab.kill(ours, 'SIGTERM');
    await lab.kill(ka, 'SIGTERM');
  });

  test('unicast_peer both ways: keepalived stays backup while we advertise to it, we discard its lower priority adverts and preempt', async () => {
    // The daemon's takeover makes the ts kernel deaf to ARP on its port (arp_ignore 8), where
    // DPVS's kni would answer: keepalived gets the ts address's MAC as a static neighbour.
    lab.sh(lab.ns.ka, 'ip', 'neigh', 'replace', TS_ADDR, 'lladdr', lab.mac.ts, 'dev', lab.ifs.ka, 'nud', 'permanent');
    await unicastBothWays(lab, {
      startOurs: () => (ours = lab.startOurs(tsConf(100, 'secret1', true))),
      startKa: () => (ka = lab.startKeepalived(kaConf(80, 'secret1', true), 'ka5')),
      tsAddr: TS_ADDR, kaAddr: KA_ADDR,
    });
  });
});
