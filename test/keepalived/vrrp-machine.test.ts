// The VRRP state machine on a fake clock: every transition at its exact time (Master_Down_Interval
// = 3 x advert_int + Skew_Time, Skew_Time after a priority 0 advert), preempt / nopreempt /
// preempt_delay, ties, sync groups, and the GARP schedule and notify arguments that hang off it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VrrpSyncGroup } from '../../src/keepalived/model.js';
import { Announcer } from '../../src/keepalived/vrrp/announce.js';
import { type VrrpParams, VrrpMachine, type VrrpRunState } from '../../src/keepalived/vrrp/instance.js';
import { notifyCommands } from '../../src/keepalived/vrrp/notify.js';
import { SyncGroup } from '../../src/keepalived/vrrp/sync-group.js';
import { masterDownUs, skewTimeUs } from '../../src/keepalived/vrrp/timers.js';
import { type IpAddr, formatIp, parseIp } from '../../src/packet/inet.js';
import { FakeClock } from '../support/fake-clock.js';

const ip = (s: string): IpAddr => parseIp(s)!;
const PEER = ip('192.168.77.2');
const ME = ip('192.168.77.3');

interface Rig {
  clock: FakeClock;
  m: VrrpMachine;
  /** [time ms, priority] of every advert sent. */
  sent: [number, number][];
  /** [time ms, state] of every transition. */
  moves: [number, VrrpRunState][];
  logs: string[];
}

function rig(p: Partial<VrrpParams> = {}, clock = new FakeClock()): Rig {
  const r: Rig = { clock, sent: [], moves: [], logs: [] } as unknown as Rig;
  r.m = new VrrpMachine({
    name: 'VI_1', version: 2, priority: 100, advertIntUs: 1_000_000, preempt: true, preemptDelayUs: 0, initialState: 'BACKUP', addr: ME, ...p,
  }, clock, {
    sendAdvert: (prio) => r.sent.push([clock.now(), prio]),
    log: (m) => r.logs.push(m),
    transition: (_from, to, m) => {
      if (m !== undefined) r.logs.push(m);
      r.moves.push([clock.now(), to]);
    },
  });
  return r;
}

/** Feeds adverts from PEER at each time (ms) given, advancing the clock to it first. */
function feed(r: Rig, times: number[], priority: number, src = PEER, advertIntCs?: number): void {
  for (const t of times) {
    r.clock.advance(t - r.clock.now());
    r.m.receive({ priority, src, ...(advertIntCs !== undefined ? { advertIntCs } : {}) });
  }
}

test('timer arithmetic is keepalived\'s (µs, integer)', () => {
  assert.equal(skewTimeUs(2, 100, 1_000_000), 609_375);
  assert.equal(masterDownUs(2, 100, 1_000_000), 3_609_375);
  assert.equal(masterDownUs(2, 80, 1_000_000), 3_687_500);
  // v3: the skew scales with the master's interval (in whole centiseconds).
  assert.equal(skewTimeUs(3, 100, 500_000), 304_687);
  assert.equal(masterDownUs(3, 100, 500_000), 1_804_687);
});

test('a backup with no master becomes MASTER after exactly 3 x advert_int + skew, then adverts every advert_int', () => {
  const r = rig();
  r.m.start();
  assert.deepEqual(r.moves, [[0, 'BACKUP']]);
  assert.deepEqual(r.logs, ['(VI_1) Entering BACKUP STATE (init)']);
  r.clock.advance(3609.374);
  assert.equal(r.m.state, 'BACKUP');
  assert.deepEqual(r.sent, []);
  r.clock.advance(0.001);
  assert.equal(r.m.state, 'MASTER');
  r.clock.advance(2000);
  assert.deepEqual(r.sent, [[3609.375, 100], [4609.375, 100], [5609.375, 100]]);
  assert.deepEqual(r.moves, [[0, 'BACKUP'], [3609.375, 'MASTER']]);
  assert.deepEqual(r.logs.slice(1), ['(VI_1) Entering MASTER STATE']);
});

test('state MASTER with priority 255 (address owner) is MASTER at once', () => {
  const r = rig({ priority: 255, initialState: 'MASTER' });
  r.m.start();
  r.clock.advance(0.001);
  assert.deepEqual(r.moves, [[0.001, 'MASTER']]);
  assert.deepEqual(r.sent, [[0.001, 255]]);
  // state MASTER below 255 waits like a backup (keepalived 2.2.7).
  const r2 = rig({ initialState: 'MASTER' });
  r2.m.start();
  r2.clock.advance(3609.374);
  assert.equal(r2.m.state, 'BACKUP');
});

test('a backup hearing a higher priority stays backup; it takes over master_down after the last advert', () => {
  const r = rig({ priority: 80 });
  r.m.start();
  feed(r, [500, 1500, 2500, 3500, 4500], 100);
  r.clock.advance(4500 + 3687.499 - r.clock.now());
  assert.equal(r.m.state, 'BACKUP');
  r.clock.advance(0.001);
  assert.deepEqual(r.moves, [[0, 'BACKUP'], [8187.5, 'MASTER']]);
  assert.equal(formatIp(r.m.masterAddr!), '192.168.77.2');
});

test('preempt (default): lower priority adverts are discarded and the backup takes over on time', () => {
  const r = rig();
  r.m.start();
  feed(r, [500, 1500, 2500, 3500], 80);
  r.clock.advance(3609.375 - r.clock.now());
  assert.deepEqual(r.moves, [[0, 'BACKUP'], [3609.375, 'MASTER']]);
  assert.equal(r.logs[1], '(VI_1) received lower priority (80) advert from 192.168.77.2 - discarding');
});

test('nopreempt: lower priority adverts keep the backup a backup', () => {
  const r = rig({ preempt: false });
  r.m.start();
  feed(r, [500, 1500, 2500, 3500, 4500, 5500, 6500], 80);
  r.clock.advance(6500 + 3609.374 - r.clock.now());
  assert.equal(r.m.state, 'BACKUP');
  r.clock.advance(0.001);
  assert.equal(r.m.state, 'MASTER');
});

test('preempt_delay: lower priority adverts count until the delay has run from the first one', () => {
  const r = rig({ preemptDelayUs: 5_000_000 });
  r.m.start();
  // First lower-priority advert at 500: preempting allowed from 5500. The advert at 5500 is discarded.
  feed(r, [500, 1500, 2500, 3500, 4500, 5500, 6500], 80);
  r.clock.advance(4500 + 3609.374 - r.clock.now());
  assert.equal(r.m.state, 'BACKUP');
  r.clock.advance(0.001);
  assert.deepEqual(r.moves, [[0, 'BACKUP'], [8109.375, 'MASTER']]);
});

test('a priority 0 advert (master resigning): the backup takes over after Skew_Time', () => {
  const r = rig({ priority: 80 });
  r.m.start();
  feed(r, [500, 1500], 100);
  feed(r, [1700], 0);
  r.clock.advance(687.499);
  assert.equal(r.m.state, 'BACKUP');
  r.clock.advance(0.001);
  assert.deepEqual(r.moves.at(-1), [2387.5, 'MASTER']);
});

test('a master yields to a higher priority, and to an equal one with a higher address', () => {
  for (const [prio, src, log] of [
    [110, PEER, '(VI_1) Master received advert from 192.168.77.2 with higher priority 110, ours 100'],
    [100, ip('192.168.77.4'), '(VI_1) Master received advert from 192.168.77.4 with same priority 100 but higher IP address than ours'],
  ] as const) {
    const r = rig();
    r.m.start();
    r.clock.advance(3609.375);
    feed(r, [4000], prio, src);
    assert.deepEqual(r.moves, [[0, 'BACKUP'], [3609.375, 'MASTER'], [4000, 'BACKUP']]);
    assert.deepEqual(r.logs.slice(2), [log, '(VI_1) Entering BACKUP STATE']);
    // Back in BACKUP, the down timer runs from the advert.
    r.clock.advance(3609.375);
    assert.deepEqual(r.moves.at(-1), [7609.375, 'MASTER']);
  }
});

test('a master hearing a lower priority (or an equal one with a lower address) re-asserts at once', () => {
  const r = rig();
  let lower = 0;
  (r.m as unknown as { fx: { lowerPriorityMaster: () => void } }).fx.lowerPriorityMaster = () => lower++;
  r.m.start();
  r.clock.advance(3609.375);
  feed(r, [3700], 90);
  feed(r, [3800], 100, PEER);
  assert.equal(r.m.state, 'MASTER');
  assert.deepEqual(r.sent, [[3609.375, 100], [3700, 100], [3800, 100]]);
  assert.equal(lower, 2);
  assert.equal(r.logs[2], '(VI_1) Received advert from 192.168.77.2 with lower priority 90, ours 100, forcing new election');
});

test('stop: a master sends priority 0; a backup sends nothing', () => {
  const r = rig();
  r.m.start();
  r.clock.advance(3609.375);
  r.clock.advance(100);
  r.m.stop();
  assert.deepEqual(r.sent, [[3609.375, 100], [3709.375, 0]]);
  assert.deepEqual(r.moves.at(-1), [3709.375, 'STOP']);
  r.clock.advance(5000);
  assert.equal(r.sent.length, 2);
  const b = rig();
  b.m.start();
  b.m.stop();
  assert.deepEqual(b.sent, []);
});

test('v3: a backup adopts the master\'s advert interval for its down timer', () => {
  const r = rig({ version: 3 });
  r.m.start();
  feed(r, [100], 110, PEER, 50);
  // 3 x 0.5 s + (256-100) x 0.5 / 256 s, from the advert at 100 ms.
  r.clock.advance(100 + 1804.686 - r.clock.now());
  assert.equal(r.m.state, 'BACKUP');
  r.clock.advance(0.001);
  assert.deepEqual(r.moves.at(-1), [1904.687, 'MASTER']);
});

test('vrrp_sync_group: members follow one into MASTER and back to BACKUP; the group notifies once each time', () => {
  const clock = new FakeClock();
  const a = rig({ name: 'A' }, clock);
  const b = rig({ name: 'B', priority: 50 }, clock);
  const groupStates: VrrpRunState[] = [];
  const def: VrrpSyncGroup = { name: 'G', where: { file: 'x', line: 1 }, group: ['A', 'B'], notify: {} };
  const g = new SyncGroup(def, [a.m, b.m], (s) => groupStates.push(s));
  for (const x of [a, b]) {
    const fx = (x.m as unknown as { fx: { transition: (f: VrrpRunState, t: VrrpRunState, m?: string) => void } }).fx;
    const inner = fx.transition;
    fx.transition = (f, t, m) => { inner(f, t, m); g.memberMoved(x.m, t); };
  }
  a.m.start();
  b.m.start();
  // A's timer (prio 100) fires first; B (prio 50) follows it at once.
  clock.advance(3609.375);
  assert.deepEqual([a.m.state, b.m.state], ['MASTER', 'MASTER']);
  assert.deepEqual(b.moves.at(-1), [3609.375, 'MASTER']);
  // A higher router appears for A's VRID: A falls back, B with it.
  feed(a, [4000], 200);
  assert.deepEqual([a.m.state, b.m.state], ['BACKUP', 'BACKUP']);
  assert.deepEqual(groupStates, ['BACKUP', 'MASTER', 'BACKUP']);
});

test('GARP schedule: repeat at once, again after delay, refresh while master, none after leaving', () => {
  const clock = new FakeClock();
  const out: [number, string][] = [];
  const vips = [ip('10.0.0.1'), ip('fd00::1')];
  const settings = { delay: 2, repeat: 3, refresh: 10, refreshRepeat: 1, lowerPrioDelay: 0, lowerPrioRepeat: 2, interval4: 0, interval6: 0 };
  const a = new Announcer(clock, settings, vips, (v) => out.push([clock.now(), formatIp(v)]));
  a.masterEntered();
  clock.advance(2000);
  const burst = (t: number): [number, string][] => [0, 1, 2].flatMap(() => [[t, '10.0.0.1'], [t, 'fd00::1']] as [number, string][]);
  assert.deepEqual(out, [...burst(0), ...burst(2000)]);
  clock.advance(8000);
  assert.deepEqual(out.slice(12), [[10000, '10.0.0.1'], [10000, 'fd00::1']]);
  a.cancel();
  clock.advance(60000);
  assert.equal(out.length, 14);
  // vrrp_garp_interval spaces the IPv4 messages of one burst.
  const spaced: number[] = [];
  new Announcer(clock, { ...settings, delay: 0, refresh: 0, interval4: 0.1 }, [vips[0]!], () => spaced.push(clock.now() - 70000)).masterEntered();
  clock.advance(1000);
  assert.deepEqual(spaced.map((t) => Math.round(t)), [0, 100, 200]);
});

test('notify scripts: specific ones as written, `notify` with INSTANCE|GROUP NAME STATE PRIORITY', () => {
  const s = { master: '/x/m.sh "a b"', backup: '/x/b.sh', any: '/x/n.sh' };
  assert.deepEqual(notifyCommands(s, 'INSTANCE', 'VI_1', 'MASTER', 100), [['/x/m.sh', 'a b'], ['/x/n.sh', 'INSTANCE', 'VI_1', 'MASTER', '100']]);
  assert.deepEqual(notifyCommands(s, 'GROUP', 'G', 'BACKUP', 0), [['/x/b.sh'], ['/x/n.sh', 'GROUP', 'G', 'BACKUP', '0']]);
  assert.deepEqual(notifyCommands(s, 'INSTANCE', 'VI_1', 'STOP', 100), [['/x/n.sh', 'INSTANCE', 'VI_1', 'STOP', '100']]);
});
