// startVrrp's wiring without a network: a memory link fed keepalived 2.2.7's captured adverts
// (the golden fixture), a fake clock. Adverts for another VRID are ignored without a word; ours
// go through keepalived's checks to the state machine; MASTER sends adverts, GARPs and notifies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LogRecord } from '../../src/control/log.js';
import { parseKeepalivedText } from '../../src/keepalived/parser.js';
import { decodeAdvert } from '../../src/keepalived/vrrp/advert.js';
import { buildAdvertFrame, multicastMac, parseVrrpFrame } from '../../src/keepalived/vrrp/frame.js';
import { startVrrp } from '../../src/keepalived/vrrp/index.js';
import { formatIp, parseIp, parseMac } from '../../src/packet/inet.js';
import { FakeClock } from '../support/fake-clock.js';
import { MemoryLink } from '../support/memory-vrrp-link.js';

const FX = JSON.parse(readFileSync('test/keepalived/fixtures/vrrp-keepalived-2.2.7.json', 'utf8')) as { frames: Record<string, string> };
const KA_V2 = Uint8Array.from(Buffer.from(FX.frames.v2Pass!, 'hex'));

function run(vrid: number) {
  const text = `vrrp_instance VI_1 {
  interface dpdk0.kni
  dpdk_interface dpdk0
  virtual_router_id ${vrid}
  priority 100
  authentication {
    auth_type PASS
    auth_pass secret1
  }
  virtual_ipaddress {
    192.168.77.100/32
  }
  notify "/bin/n.sh arg"
}`;
  const config = parseKeepalivedText(text).config!;
  const clock = new FakeClock();
  const logs: LogRecord[] = [];
  const links = new Map<string, MemoryLink>();
  const scripts: string[][] = [];
  const states: string[] = [];
  const h = startVrrp(config, { stateChanged: (_vi, s) => void states.push(s) }, {
    log: (r) => logs.push(r), clock, ports: { dpdk0: 'veth-ts' }, runScript: (argv) => scripts.push([...argv]),
    openLink: (ifname) => { const l = new MemoryLink(ifname); links.set(ifname, l); return l; },
  });
  return { h, clock, logs, link: links.get('veth-ts')!, links, scripts, states };
}

test('dpdk0.kni and dpdk_interface dpdk0 both mean the port\'s Linux interface: one link', () => {
  const r = run(51);
  assert.deepEqual([...r.links.keys()], ['veth-ts']);
});

test('an advert for another VRID is ignored silently; ours is checked and acted on', () => {
  const other = run(52);
  other.link.deliver(KA_V2);
  // One line for the transition, with keepalived's text: not a text line and a state line.
  assert.deepEqual(other.logs.map((l) => [l.event, l.message]), [['vrrp_state', '(VI_1) Entering BACKUP STATE (init)']]);
  const ours = run(51);
  ours.link.deliver(KA_V2);
  assert.equal(ours.logs.at(-1)!.message, '(VI_1) received lower priority (80) advert from 192.168.77.2 - discarding');
  const tampered = KA_V2.slice();
  // The password's last byte: keepalived checks the password before the checksum.
  tampered[KA_V2.length - 1] = 0x21;
  ours.link.deliver(tampered);
  assert.deepEqual(ours.logs.at(-1), { level: 'info', event: 'vrrp_advert_rejected', instance: 'VI_1', from: '192.168.77.2', message: '(VI_1) received an invalid passwd!' });
});

test('on MASTER: adverts from the interface, GARPs from the port after the VIPs, notify with keepalived\'s arguments', async () => {
  const r = run(51);
  r.clock.advance(3609.375);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.states, ['BACKUP', 'MASTER']);
  const [advert, ...garps] = r.link.sent;
  const l3 = parseVrrpFrame(advert!, 0, advert!.length)!;
  const a = decodeAdvert(advert!, l3.off, l3.len, 4)!;
  assert.deepEqual([formatIp(l3.src), formatIp(l3.dst), a.vrid, a.priority, a.addrs.map(formatIp)], ['192.168.77.3', '224.0.0.18', 51, 100, ['192.168.77.100']]);
  // vrrp_garp_master_repeat's default: 5.
  assert.equal(garps.length, 5);
  assert.deepEqual(r.scripts, [['/bin/n.sh', 'arg', 'INSTANCE', 'VI_1', 'BACKUP', '100'], ['/bin/n.sh', 'arg', 'INSTANCE', 'VI_1', 'MASTER', '100']]);
  await r.h.stop();
  const last = r.link.sent.at(-1)!;
  const l3b = parseVrrpFrame(last, 0, last.length)!;
  assert.equal(decodeAdvert(last, l3b.off, l3b.len, 4)!.priority, 0);
  assert.deepEqual(r.states, ['BACKUP', 'MASTER', 'STOP']);
});

// ---- SIGHUP (VrrpHandle.reload), as keepalived 2.2.7's clear_diff_vrrp / vrrp_init_state ----

interface Inst { name: string; vrid: number; priority?: number; advertInt?: number; vips: string[]; extra?: string }
const conf = (list: readonly Inst[], tail = ''): string => list.map((i) => `vrrp_instance ${i.name} {
  interface dpdk0.kni
  dpdk_interface dpdk0
  virtual_router_id ${i.vrid}
  priority ${i.priority ?? 100}
  advert_int ${i.advertInt ?? 1}
  virtual_ipaddress {
${i.vips.map((v) => `    ${v}`).join('\n')}
  }
  notify /bin/n.sh
${i.extra ?? ''}
}`).join('\n') + tail;

/** startVrrp on a memory link and a fake clock, recording every action, script and log line. */
function runConf(text: string) {
  const clock = new FakeClock();
  const logs: LogRecord[] = [];
  const links = new Map<string, MemoryLink>();
  const scripts: string[][] = [];
  const actions: string[] = [];
  const h = startVrrp(parseKeepalivedText(text).config!, {
    stateChanged: (vi, s, from) => void actions.push(`${vi.name} ${from}->${s}`),
    vipsChanged: (vi, added, removed) => void actions.push(`${vi.name} +${added.map((v) => formatIp(v.addr)).join(',')} -${removed.map((v) => formatIp(v.addr)).join(',')}`),
  }, {
    log: (r) => logs.push(r), clock, ports: { dpdk0: 'veth-ts' }, runScript: (argv) => scripts.push([...argv]),
    openLink: (ifname) => { const l = new MemoryLink(ifname); links.set(ifname, l); return l; },
  });
  const link = links.get('veth-ts')!;
  /** What was sent since the last call: adverts as "vrid/priority", GARPs counted. */
  const sent = () => {
    const frames = link.sent.splice(0);
    const adverts: string[] = [];
    let garps = 0;
    for (const f of frames) {
      const l3 = parseVrrpFrame(f, 0, f.length);
      if (l3) {
        const a = decodeAdvert(f, l3.off, l3.len, l3.af)!;
        adverts.push(`${a.vrid}/${a.priority}`);
      } else if (f[12] === 0x08 && f[13] === 0x06) garps++;
      else throw new Error('a frame that is neither an advert nor a GARP');
    }
    return { adverts, garps };
  };
  const settle = (): Promise<void> => new Promise((res) => setImmediate(res));
  const reload = (t: string): void => h.reload(parseKeepalivedText(t).config!);
  return { h, clock, logs, scripts, actions, sent, settle, reload, link };
}

/** A higher-priority master's advert for `vrid` from 192.168.77.9 (keeps our instance BACKUP). */
function peerAdvert(vrid: number, priority: number, vips: string[]): Uint8Array {
  const frame = new Uint8Array(256);
  const dst = parseIp('224.0.0.18')!;
  const n = buildAdvertFrame(frame, parseMac('02:00:00:00:00:09')!, multicastMac(dst), parseIp('192.168.77.9')!, dst,
    { version: 2, vrid, priority, advertInt: 1, addrs: vips.map((v) => parseIp(v)!) }, 1);
  return frame.slice(0, n);
}

test('reload: a MASTER that stays keeps MASTER: no priority 0, no transition, no notify, no GARP; one advert at once with its new priority, then every new advert_int', async () => {
  const r = runConf(conf([{ name: 'VI_1', vrid: 51, vips: ['192.168.77.100', '192.168.77.101'] }]));
  r.clock.advance(3609.375);
  await r.settle();
  r.clock.advance(5000); // past the delayed GARP burst
  assert.deepEqual(r.h.states(), new Map([['VI_1', 'MASTER']]));
  r.sent();
  const before = { logs: r.logs.length, scripts: r.scripts.length, actions: r.actions.length };
  r.reload(conf([{ name: 'VI_1', vrid: 51, priority: 150, advertInt: 2, vips: ['192.168.77.100', '192.168.77.101'] }]));
  await r.settle();
  // keepalived: the reloaded master's timer is "now" (vrrp_init_instance_sands, reload_master).
  assert.deepEqual(r.sent(), { adverts: ['51/150'], garps: 0 });
  r.clock.advance(1999);
  assert.deepEqual(r.sent(), { adverts: [], garps: 0 });
  r.clock.advance(1);
  assert.deepEqual(r.sent(), { adverts: ['51/150'], garps: 0 });
  r.clock.advance(6000);
  assert.deepEqual(r.sent(), { adverts: ['51/150', '51/150', '51/150'], garps: 0 });
  assert.deepEqual(r.h.states(), new Map([['VI_1', 'MASTER']]));
  assert.deepEqual([r.logs.length, r.scripts.length, r.actions.length], [before.logs, before.scripts, before.actions]);
  await r.h.stop();
});

test('reload: VIPs edited on a MASTER that stays: exactly the difference goes to vipsChanged, then one GARP burst for every VIP', async () => {
  const r = runConf(conf([{ name: 'VI_1', vrid: 51, vips: ['192.168.77.100', '192.168.77.101'] }]));
  r.clock.advance(3609.375);
  await r.settle();
  r.clock.advance(5000);
  r.sent();
  r.actions.length = 0;
  r.reload(conf([{ name: 'VI_1', vrid: 51, vips: ['192.168.77.100', '192.168.77.102'] }]));
  // The advert goes at once; the GARPs wait until the VIPs are in place.
  assert.deepEqual(r.sent(), { adverts: ['51/100'], garps: 0 });
  await r.settle();
  assert.deepEqual(r.actions, ['VI_1 +192.168.77.102 -192.168.77.101']);
  // keepalived's restore_vrrp_state: vrrp_send_link_update(garp_rep) over all the VIPs, no delayed burst.
  assert.deepEqual(r.sent(), { adverts: [], garps: 5 * 2 });
  r.clock.advance(5000);
  assert.deepEqual(r.sent(), { adverts: ['51/100', '51/100', '51/100', '51/100', '51/100'], garps: 0 });
  assert.deepEqual(r.logs.filter((l) => l.event === 'vrrp').map((l) => l.message), ['(VI_1) ip address 192.168.77.101/32 dev dpdk0, no longer exist']);
  // The adverts carry the new VIP list, and the check of received ones uses it too.
  r.link.deliver(peerAdvert(51, 200, ['192.168.77.100', '192.168.77.101']));
  assert.equal(r.logs.at(-1)!.message, '(VI_1) ip address associated with VRID 51 not present in MASTER advert: 192.168.77.102');
  await r.h.stop();
});

test('reload: a BACKUP that stays stays BACKUP, a removed MASTER resigns with priority 0, a new instance starts in BACKUP', async () => {
  const r = runConf(conf([
    { name: 'VI_1', vrid: 51, vips: ['192.168.77.100'] },
    { name: 'VI_2', vrid: 52, vips: ['192.168.77.110'] },
  ]));
  // VI_2 hears a better master every second; VI_1 hears nobody.
  for (let t = 0; t < 4; t++) {
    r.link.deliver(peerAdvert(52, 200, ['192.168.77.110']));
    r.clock.advance(1000);
  }
  await r.settle();
  assert.deepEqual(r.h.states(), new Map([['VI_1', 'MASTER'], ['VI_2', 'BACKUP']]));
  r.sent();
  r.actions.length = 0;
  r.scripts.length = 0;
  const logsBefore = r.logs.length;
  r.reload(conf([
    { name: 'VI_2', vrid: 52, priority: 90, vips: ['192.168.77.110'] },
    { name: 'VI_4', vrid: 54, vips: ['192.168.77.140'] },
  ]));
  await r.settle();
  assert.deepEqual(r.sent(), { adverts: ['51/0'], garps: 0 });
  assert.deepEqual(r.h.states(), new Map([['VI_2', 'BACKUP'], ['VI_4', 'BACKUP']]));
  assert.deepEqual(r.actions, ['VI_1 MASTER->DELETED', 'VI_4 INIT->BACKUP']);
  // keepalived notifies a deleted instance as FAULT (unless notify_deleted), with its priority.
  assert.deepEqual(r.scripts, [['/bin/n.sh', 'INSTANCE', 'VI_1', 'FAULT', '100'], ['/bin/n.sh', 'INSTANCE', 'VI_4', 'BACKUP', '100']]);
  assert.deepEqual(r.logs.slice(logsBefore).map((l) => [l.event, l.instance, l.message]), [
    ['vrrp', 'VI_1', '(VI_1) sent 0 priority'],
    ['vrrp_deleted', 'VI_1', '(VI_1) removed from the configuration'],
    ['vrrp_state', 'VI_4', '(VI_4) Entering BACKUP STATE (init)'],
  ]);
  // VI_2's down timer restarted at the reload with its new priority: 3 s + (256 - 90)/256 s.
  r.clock.advance(3648);
  assert.equal(r.h.states().get('VI_2'), 'BACKUP');
  r.clock.advance(1);
  assert.equal(r.h.states().get('VI_2'), 'MASTER');
  await r.h.stop();
});

test('reload: keepalived matches instances by VRID, family and interface, not by name: a renamed master stays MASTER', async () => {
  const r = runConf(conf([{ name: 'VI_1', vrid: 51, vips: ['192.168.77.100'] }]));
  r.clock.advance(3609.375);
  await r.settle();
  r.sent();
  r.actions.length = 0;
  r.reload(conf([{ name: 'VI_X', vrid: 51, vips: ['192.168.77.100'] }]));
  await r.settle();
  assert.deepEqual(r.h.states(), new Map([['VI_X', 'MASTER']]));
  assert.deepEqual(r.sent(), { adverts: ['51/100'], garps: 0 });
  assert.deepEqual(r.actions, []);
  // Another VRID under the old name is another router: the master resigns, the new one starts.
  r.reload(conf([{ name: 'VI_X', vrid: 61, vips: ['192.168.77.100'] }]));
  await r.settle();
  assert.deepEqual(r.sent(), { adverts: ['51/0'], garps: 0 });
  assert.deepEqual(r.actions, ['VI_X MASTER->DELETED', 'VI_X INIT->BACKUP']);
  await r.h.stop();
});

test('reload: a sync group stays MASTER only if all its members were; otherwise its masters go back to BACKUP without priority 0', async () => {
  const group = (members: string) => `\nvrrp_sync_group G1 {\n  group {\n    ${members}\n  }\n  notify /bin/g.sh\n}\n`;
  const two = [{ name: 'VI_1', vrid: 51, vips: ['192.168.77.100'] }, { name: 'VI_2', vrid: 52, vips: ['192.168.77.110'] }];
  const r = runConf(conf(two, group('VI_1 VI_2')));
  r.clock.advance(3609.375);
  await r.settle();
  assert.deepEqual(r.h.states(), new Map([['VI_1', 'MASTER'], ['VI_2', 'MASTER']]));
  r.sent();
  r.actions.length = 0;
  r.scripts.length = 0;
  // Both stay (a priority changes): the group stays MASTER, nothing is notified.
  r.reload(conf([two[0]!, { ...two[1]!, priority: 120 }], group('VI_1 VI_2')));
  await r.settle();
  assert.deepEqual(r.h.states(), new Map([['VI_1', 'MASTER'], ['VI_2', 'MASTER']]));
  assert.deepEqual(r.sent(), { adverts: ['51/100', '52/120'], garps: 0 });
  assert.deepEqual([r.actions, r.scripts], [[], []]);
  // A new member joins: the group is not all master, so the masters go back to BACKUP (keepalived's
  // vrrp_init_state), quietly (no priority 0), and the group is notified BACKUP once.
  r.reload(conf([two[0]!, { ...two[1]!, priority: 120 }, { name: 'VI_3', vrid: 53, vips: ['192.168.77.120'] }], group('VI_1 VI_2 VI_3')));
  await r.settle();
  assert.deepEqual(r.h.states(), new Map([['VI_1', 'BACKUP'], ['VI_2', 'BACKUP'], ['VI_3', 'BACKUP']]));
  assert.deepEqual(r.sent(), { adverts: [], garps: 0 });
  assert.deepEqual(r.actions, ['VI_1 MASTER->BACKUP', 'VI_2 MASTER->BACKUP', 'VI_3 INIT->BACKUP']);
  assert.deepEqual(r.scripts, [
    ['/bin/g.sh', 'GROUP', 'G1', 'BACKUP', '0'],
    ['/bin/n.sh', 'INSTANCE', 'VI_1', 'BACKUP', '100'],
    ['/bin/n.sh', 'INSTANCE', 'VI_2', 'BACKUP', '120'],
    ['/bin/n.sh', 'INSTANCE', 'VI_3', 'BACKUP', '100'],
  ]);
  await r.h.stop();
});
