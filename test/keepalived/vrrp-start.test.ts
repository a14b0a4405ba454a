// startVrrp's wiring without a network: a memory link fed keepalived 2.2.7's captured adverts
// (the golden fixture), a fake clock. Adverts for another VRID are ignored without a word; ours
// go through keepalived's checks to the state machine; MASTER sends adverts, GARPs and notifies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LogRecord } from '../../src/control/log.js';
import { parseKeepalivedText } from '../../src/keepalived/parser.js';
import { decodeAdvert } from '../../src/keepalived/vrrp/advert.js';
import { parseVrrpFrame } from '../../src/keepalived/vrrp/frame.js';
import { startVrrp } from '../../src/keepalived/vrrp/index.js';
import { formatIp } from '../../src/packet/inet.js';
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
