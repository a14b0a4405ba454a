// What the VRRP interop tests (IPv4 and IPv6) read off the observer's capture and the logs: adverts,
// gratuitous ARPs and unsolicited NAs as records with capture times, the expected VRRP timings, the
// keepalived.conf both sides run, and our JSON log's states. Not a test file.
//
// Tolerance: a takeover may be late by up to LATE_S (timers fire after the deadline, never before;
// on a loaded 2-core CI box a process can be descheduled for a while) and early by EARLY_S only
// (both frames are timestamped by the same capture on the same interface).

import assert from 'node:assert/strict';
import type { CaptureFrame } from '../../src/drivers/pcap.js';
import { decodeAdvert } from '../../src/keepalived/vrrp/advert.js';
import { parseVrrpFrame } from '../../src/keepalived/vrrp/frame.js';
import { ETH_P_ARP, ETH_P_IPV6, readU16, readU32 } from '../../src/packet/ether.js';
import { formatIp, formatMac, ip4, ip6 } from '../../src/packet/inet.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Proc, VrrpLab } from './vrrp-lab.js';

export const LATE_S = 0.25;
export const EARLY_S = 0.01;
/** Master_Down_Interval for advert_int 1 s (v2 and v3 alike): 3 + (256 - priority)/256. */
export const masterDown = (prio: number): number => 3 + (256 - prio) / 256;
export const skewTime = (prio: number): number => (256 - prio) / 256;

export interface Seen {
  t: number;
  kind: 'advert' | 'garp' | 'na';
  /** IP source (a GARP's sender address). */
  src: string;
  dst: string;
  /** Ethernet source. */
  mac: string;
  /** Advert priority (-1 for the others). */
  prio: number;
  /** TTL / hop limit (GARP: -1). */
  ttl: number;
  /** NA only: the ICMPv6 flags word, the target, and the target link-layer address option. */
  naFlags?: number;
  target?: string;
  targetMac?: string;
  frame: CaptureFrame;
}

const ICMPV6 = 58;
const ND_NEIGHBOR_ADVERT = 136;

/** The capture as VRID 51 adverts, gratuitous ARPs for vip and neighbour advertisements for vip, times in seconds. */
export function seen(frames: CaptureFrame[], vip: string): Seen[] {
  const out: Seen[] = [];
  for (const f of frames) {
    const d = f.data;
    const t = f.tsMs / 1000;
    const mac = formatMac(d, 6);
    const type = readU16(d, 12);
    if (type === ETH_P_ARP) {
      const spa = formatIp(ip4(readU32(d, 28)));
      const tpa = formatIp(ip4(readU32(d, 38)));
      if (spa === vip && tpa === vip) out.push({ t, kind: 'garp', src: spa, dst: tpa, mac, prio: -1, ttl: -1, frame: f });
      continue;
    }
    if (type === ETH_P_IPV6 && d[20] === ICMPV6 && d[54] === ND_NEIGHBOR_ADVERT) {
      const w = (o: number): number => readU32(d, o);
      const target = formatIp(ip6(w(62), w(66), w(70), w(74)));
      if (target !== vip) continue;
      // The target link-layer address option (type 2), if it is the first one.
      const targetMac = d.length >= 86 && d[78] === 2 ? formatMac(d, 80) : undefined;
      out.push({
        t, kind: 'na', src: formatIp(ip6(w(22), w(26), w(30), w(34))), dst: formatIp(ip6(w(38), w(42), w(46), w(50))), mac, prio: -1, ttl: d[21]!,
        naFlags: w(58), target, ...(targetMac ? { targetMac } : {}), frame: f,
      });
      continue;
    }
    const l3 = parseVrrpFrame(d, 0, d.length);
    const a = l3 && decodeAdvert(d, l3.off, l3.len, l3.af);
    if (l3 && a && a.vrid === 51) out.push({ t, kind: 'advert', src: formatIp(l3.src), dst: formatIp(l3.dst), mac, prio: a.priority, ttl: l3.ttl, frame: f });
  }
  return out;
}

/** Asserts gap is bound (-EARLY_S/+LATE_S) and returns it. */
export function assertGap(what: string, gap: number, bound: number): number {
  assert.ok(gap >= bound - EARLY_S && gap <= bound + LATE_S, `${what}: ${gap.toFixed(4)} s, expected ${bound.toFixed(4)} s (-${EARLY_S}/+${LATE_S})`);
  return gap;
}

export interface InstanceConf {
  iface: string;
  prio: number;
  /** VIP/plen. */
  vip: string;
  notify: string;
  /** The tsvs side: its VIP goes to port dpdk0. */
  tsvs: boolean;
  /** v2 auth_type PASS (IPv6 instances are v3: no authentication). */
  pass?: string;
  unicast?: { src: string; peer: string };
}

/** One VRID 51 instance, advert_int 1, two GARPs / NAs on becoming master and two more after 1 s. */
export const vrrpConf = (o: InstanceConf): string => `
global_defs {
  vrrp_garp_master_delay 1
  vrrp_garp_master_repeat 2
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${o.iface}
  ${o.tsvs ? 'dpdk_interface dpdk0' : ''}
  virtual_router_id 51
  priority ${o.prio}
  advert_int 1
  ${o.pass !== undefined ? `authentication {\n    auth_type PASS\n    auth_pass ${o.pass}\n  }` : ''}
  virtual_ipaddress {
    ${o.vip}
  }
  notify "${o.notify}"
  ${o.unicast ? `unicast_src_ip ${o.unicast.src}\n  unicast_peer {\n    ${o.unicast.peer}\n  }` : ''}
}
`;

/** The state changes our log recorded ("from"->"to"), in order. */
export function ourStates(p: Proc): string[] {
  return p.out.split('\n').filter((l) => l.includes('"event":"vrrp_state"')).map((l) => (JSON.parse(l) as { state: string }).state);
}

export function ourLogTime(p: Proc, message: string, from = 0): number {
  const line = p.out.slice(from).split('\n').find((l) => l.includes(`"message":"${message}"`));
  assert.ok(line, `our log has ${message}`);
  return Date.parse((JSON.parse(line) as { time: string }).time) / 1000;
}

/**
 * unicast_peer both ways round, tsvs priority 100 and keepalived 80: keepalived stays BACKUP on our
 * unicast adverts past its Master_Down_Interval; we die (SIGKILL) and it takes over; we return,
 * discard its lower-priority adverts and preempt. Leaves both stopped.
 */
export async function unicastBothWays(lab: VrrpLab, o: { startOurs: (run: number) => Proc; startKa: () => Proc; tsAddr: string; kaAddr: string }): Promise<void> {
  let ours = o.startOurs(1);
  await lab.waitFor(ours, '"message":"(VI_1) Entering MASTER STATE"', 10_000);
  const ka = o.startKa();
  await lab.waitFor(ka, '(VI_1) Entering BACKUP STATE (init)', 10_000);
  // Longer than keepalived's Master_Down_Interval (3.69 s): it hears our unicast adverts.
  await sleep(5000);
  assert.ok(!ka.out.includes('Entering MASTER STATE'), ka.out);
  assert.ok(!/Expected (un|mult)icast/.test(ka.out), ka.out);
  const kaFrom = ka.out.length;
  await lab.kill(ours, 'SIGKILL');
  await lab.waitFor(ka, '(VI_1) Entering MASTER STATE', 10_000, kaFrom);
  ours = o.startOurs(2);
  await lab.waitFor(ours, `"message":"(VI_1) received lower priority (80) advert from ${o.kaAddr} - discarding"`, 10_000);
  await lab.waitFor(ours, '"message":"(VI_1) Entering MASTER STATE"', 10_000);
  await lab.waitFor(ka, `(VI_1) Master received advert from ${o.tsAddr} with higher priority 100, ours 80`, 5000, kaFrom);
  assert.ok(!ours.out.includes('vrrp_advert_rejected'), ours.out);
  await lab.kill(ours, 'SIGTERM');
  await lab.kill(ka, 'SIGTERM');
}
