// VRRP for `tsvs keepalived`: every vrrp_instance of a keepalived.conf as a running state machine on
// its interface, adverts in and out through AF_PACKET, VIPs handed to the caller (the daemon API),
// GARP/NA, notify scripts and keepalived-like JSON log lines.
//
//   const vrrp = startVrrp(config, daemonVipActions(socketPath), { log: stderrLogger, ports: { dpdk0: 'eth1' } });
//   ... vrrp.states()  // Map { 'VI_1' => 'MASTER' }
//   vrrp.reload(next);  // SIGHUP: instances that stay keep their state (keepalived's clear_diff_vrrp)
//   await vrrp.stop(); // priority 0 adverts, VIPs removed, notify_stop
//
// `interface dpdk0.kni` (DPVS's kernel twin of port dpdk0) means the Linux interface behind tsvs
// port dpdk0 here (`ports`); the VIPs' GARPs go on the Linux interface of `dpdk_interface`.

import type { Logger } from '../../control/log.js';
import { TsvsError } from '../../errors.js';
import { type IpAddr, formatIp, ipEquals, parseIp } from '../../packet/inet.js';
import type { GlobalDefs, KeepalivedConfig, VirtualIp, VrrpInstance } from '../model.js';
import { decodeAdvert } from './advert.js';
import { Announcer } from './announce.js';
import { type CheckConfig, checkAdvert } from './check.js';
import { buildAdvertFrame, multicastMac, parseVrrpFrame } from './frame.js';
import { buildAnnouncement } from './garp.js';
import { VrrpMachine, type VrrpRunState } from './instance.js';
import { AfPacketVrrpLink, type VrrpLink } from './link.js';
import { type ScriptRunner, notifyCommands, spawnRunner } from './notify.js';
import { SyncGroup } from './sync-group.js';
import { type Clock, realClock } from './timers.js';

export { type VrrpRunState } from './instance.js';

/** What VRRP asks of the rest of tsvs: the VIPs follow the instance's state. */
export interface VrrpActions {
  /**
   * The instance entered `state`. On MASTER the VIPs must be added (to `dpdk_interface`), on any
   * other state removed (DELETED: a reload removed the instance). GARPs go out once the returned
   * promise settles.
   */
  stateChanged(instance: VrrpInstance, state: VrrpRunState, from: VrrpRunState): void | Promise<void>;
  /**
   * A reload kept this instance MASTER and changed its virtual_ipaddress: `removed` (of
   * `previous`, the instance as it was) must go, `added` must be added. GARPs go out once the
   * returned promise settles.
   */
  vipsChanged?(instance: VrrpInstance, added: readonly VirtualIp[], removed: readonly VirtualIp[], previous: VrrpInstance): void | Promise<void>;
}

export interface VrrpOptions {
  log: Logger;
  clock?: Clock;
  /** tsvs port name -> Linux interface (the daemon's netif_defs), for `X.kni` and dpdk_interface. */
  ports?: Readonly<Record<string, string>>;
  /** Opens the link for a Linux interface (default: AF_PACKET). */
  openLink?: (ifname: string) => VrrpLink;
  runScript?: ScriptRunner;
}

export interface VrrpHandle {
  states(): ReadonlyMap<string, VrrpRunState>;
  machines(): ReadonlyMap<string, VrrpMachine>;
  /**
   * SIGHUP: run `config` instead, as keepalived 2.2.7 reloads (clear_diff_vrrp). An instance that
   * stays keeps its state; a removed one resigns; a new one starts. Throws, changing nothing, when
   * an instance of `config` cannot run.
   */
  reload(config: KeepalivedConfig): void;
  /** Clean shutdown: masters send priority 0 and drop their VIPs; notify_stop runs. */
  stop(): Promise<void>;
}

const MCAST4 = parseIp('224.0.0.18')!;
const MCAST6 = parseIp('ff02::12')!;

/** `dpdk0.kni` -> the Linux interface of port dpdk0 when we know it; any other name as it is. */
export function kernelInterface(name: string, ports: Readonly<Record<string, string>> = {}): string {
  const m = /^(.+)\.kni$/.exec(name);
  return (m && ports[m[1]!]) ?? ports[name] ?? name;
}

function familyOf(vi: VrrpInstance): 4 | 6 {
  return vi.virtualIpaddress[0]?.addr.af ?? vi.unicastPeers[0]?.addr.af ?? 4;
}

interface Running {
  vi: VrrpInstance;
  machine: VrrpMachine;
  check: CheckConfig;
  link: VrrpLink;
  garpLink: VrrpLink;
  announcer: Announcer;
  src: IpAddr;
  af: 4 | 6;
  /** Where multicast adverts go (vrrp_mcast_group4/6 or the default); unused with unicast_peer. */
  group: IpAddr;
  /** Serialises the VIP changes of one instance (a reload's successor continues it). */
  actionChain: Promise<void>;
}

/**
 * keepalived's vrrp_exist: the instance of a new configuration that continues an old one. Not the
 * name: the same VRID, family and interface, both unicast (then the same source address) or both
 * multicast (then the same group).
 */
function sameRouter(a: Running, b: Running): boolean {
  if (a.check.vrid !== b.check.vrid || a.af !== b.af || a.link !== b.link || a.check.unicast !== b.check.unicast) return false;
  return a.check.unicast ? ipEquals(a.src, b.src) : ipEquals(a.group, b.group);
}

/** A VIP as the daemon holds it: address, prefix length and the port it goes on. */
function sameVip(a: VirtualIp, avi: VrrpInstance, b: VirtualIp, bvi: VrrpInstance): boolean {
  return ipEquals(a.addr, b.addr) && a.plen === b.plen && avi.dpdkInterface === bvi.dpdkInterface;
}

export function startVrrp(config: KeepalivedConfig, actions: VrrpActions, opts: VrrpOptions): VrrpHandle {
  const clock = opts.clock ?? realClock;
  const log = opts.log;
  const ports = opts.ports ?? {};
  const runScript = opts.runScript ?? spawnRunner(log);
  const openLink = opts.openLink ?? ((ifname: string) => new AfPacketVrrpLink(ifname));
  const links = new Map<string, VrrpLink>();
  /** The instances receiving on each link, by VRID and family. */
  let byLink = new Map<VrrpLink, Running[]>();
  let running = new Map<string, Running>();
  let groupOf = new Map<string, SyncGroup>();
  /** The action chains of deleted instances: stop() waits for them too. */
  const draining: Promise<void>[] = [];
  const frame = new Uint8Array(2048);
  let ipId = 1;

  const info = (message: string, fields: Record<string, unknown> = {}): void => log({ level: 'info', event: 'vrrp', message, ...fields });

  // One receive handler per link: decode, find the instance by VRID and family, check, act.
  const onFrame = (l: VrrpLink) => (buf: Uint8Array, off: number, len: number): void => {
    const ip = parseVrrpFrame(buf, off, len);
    if (!ip) return;
    const a = decodeAdvert(buf, ip.off, ip.len, ip.af);
    if (!a) return;
    const r = byLink.get(l)?.find((x) => x.vi.virtualRouterId === a.vrid && x.af === ip.af);
    if (!r) return; // another VRID: not ours (keepalived ignores it too)
    const res = checkAdvert(r.check, ip, a, buf);
    if (res.verdict !== 'ok') {
      log({ level: 'info', event: 'vrrp_advert_rejected', instance: r.vi.name, from: formatIp(ip.src), message: res.message });
      return;
    }
    r.machine.receive({ priority: a.priority, src: ip.src, ...(a.version === 3 ? { advertIntCs: a.advertInt } : {}) });
  };
  const link = (ifname: string): VrrpLink => {
    let l = links.get(ifname);
    if (!l) {
      links.set(ifname, (l = openLink(ifname)));
      l.onFrame(onFrame(l));
    }
    return l;
  };
  /** Closes the links no running instance uses (after a reload, or a failed one). */
  const closeUnused = (): void => {
    for (const [name, l] of links) {
      if ([...running.values()].some((r) => r.link === l || r.garpLink === l)) continue;
      l.close();
      links.delete(name);
    }
  };
  /** Queues an action on the instance's chain; a failure is logged, never thrown. */
  const chain = (r: Running, state: VrrpRunState, fn: () => void | Promise<void>, then?: () => void): void => {
    r.actionChain = r.actionChain.then(async () => {
      try {
        await fn();
      } catch (e) {
        log({ level: 'error', event: 'vrrp_action_failed', instance: r.vi.name, state, error: (e as Error).message });
      }
      then?.();
    });
  };

  /** One instance, built but not started. */
  const build = (vi: VrrpInstance, g: GlobalDefs): Running => {
    const af = familyOf(vi);
    const version: 2 | 3 = af === 6 ? 3 : vi.version ?? g.vrrpVersion ?? 2;
    const ifname = kernelInterface(vi.interface ?? '', ports);
    const l = link(ifname);
    const garpLink = vi.dpdkInterface !== undefined ? link(kernelInterface(vi.dpdkInterface, ports)) : l;
    const src = vi.unicastSrcIp ?? vi.mcastSrcIp ?? (af === 4 ? l.addr4 : l.addr6);
    if (!src) throw new TsvsError('TSVS_ERR_CONFIG', `vrrp_instance ${vi.name}: interface ${ifname} has no IPv${af} address to send adverts from (add one, or set unicast_src_ip / mcast_src_ip)`);
    const vips = vi.virtualIpaddress.map((v) => v.addr);
    const check: CheckConfig = {
      name: vi.name, version, vrid: vi.virtualRouterId, advertIntMs: Math.round(vi.advertInt * 1000), vips,
      unicast: vi.unicastPeers.length > 0,
      ...(vi.authentication?.type === 'PASS' && version === 2 ? { authPass: vi.authentication.pass } : {}),
    };
    const group = af === 4 ? g.vrrpMcastGroup4 ?? MCAST4 : g.vrrpMcastGroup6 ?? MCAST6;
    const r = { vi, check, link: l, garpLink, src, af, group, actionChain: Promise.resolve() } as Running;
    r.announcer = new Announcer(clock, {
      delay: vi.garpMasterDelay ?? g.vrrpGarpMasterDelay,
      repeat: vi.garpMasterRepeat ?? g.vrrpGarpMasterRepeat,
      refresh: vi.garpMasterRefresh ?? g.vrrpGarpMasterRefresh,
      refreshRepeat: vi.garpMasterRefreshRepeat ?? g.vrrpGarpMasterRefreshRepeat,
      lowerPrioDelay: g.vrrpGarpLowerPrioDelay ?? vi.garpMasterDelay ?? g.vrrpGarpMasterDelay,
      lowerPrioRepeat: g.vrrpGarpLowerPrioRepeat ?? vi.garpMasterRepeat ?? g.vrrpGarpMasterRepeat,
      interval4: g.vrrpGarpInterval, interval6: g.vrrpGnaInterval,
    }, vips, (vip) => {
      const n = buildAnnouncement(frame, garpLink.mac, vip);
      garpLink.send(frame, n);
    });
    const sendAdvert = (priority: number): void => {
      const fields = {
        version, vrid: vi.virtualRouterId, priority, addrs: vips,
        advertInt: version === 2 ? Math.round(vi.advertInt) : Math.round(vi.advertInt * 100),
        ...(check.authPass !== undefined ? { authPass: check.authPass } : {}),
      };
      const dsts = vi.unicastPeers.length > 0 ? vi.unicastPeers.map((p) => p.addr) : [group];
      for (const dst of dsts) {
        const mac = vi.unicastPeers.length > 0 ? l.peerMac(dst) : multicastMac(dst);
        if (!mac) {
          log({ level: 'warn', event: 'vrrp_peer_unresolved', instance: vi.name, peer: formatIp(dst), message: `(${vi.name}) no MAC yet for unicast peer ${formatIp(dst)}: advert not sent` });
          continue;
        }
        const n = buildAdvertFrame(frame, l.mac, mac, src, dst, fields, ipId++);
        l.send(frame, n);
      }
    };
    r.machine = new VrrpMachine({
      name: vi.name, version, priority: vi.priority, advertIntUs: Math.round(vi.advertInt * 1e6), preempt: vi.preempt,
      preemptDelayUs: Math.round(vi.preemptDelay * 1e6), initialState: vi.state, addr: src,
    }, clock, {
      sendAdvert,
      log: (m) => info(m, { instance: vi.name }),
      lowerPriorityMaster: () => r.announcer.lowerPriority(),
      transition: (from, to, message) => {
        log({ level: 'info', event: 'vrrp_state', instance: vi.name, from, state: to, priority: vi.priority, ...(message ? { message } : {}) });
        if (to !== 'MASTER') r.announcer.cancel();
        // GARPs only once the VIPs are in place, and only if still MASTER.
        chain(r, to, () => actions.stateChanged(vi, to, from), () => {
          if (to === 'MASTER' && r.machine.state === 'MASTER') r.announcer.masterEntered();
        });
        for (const argv of notifyCommands(vi.notify, 'INSTANCE', vi.name, to, vi.priority)) runScript(argv);
        groupOf.get(vi.name)?.memberMoved(r.machine, to);
      },
    });
    return r;
  };

  /** Every instance of `c`, built; on a failure the links opened for them are closed again. */
  const buildAll = (c: KeepalivedConfig): Map<string, Running> => {
    const out = new Map<string, Running>();
    try {
      for (const vi of c.vrrpInstances) out.set(vi.name, build(vi, c.globalDefs));
    } catch (e) {
      closeUnused();
      throw e;
    }
    return out;
  };

  /** The sync groups of `c` over `next`; `initial` gives a group's starting state. */
  const groupsOf = (c: KeepalivedConfig, next: Map<string, Running>, initial: (name: string) => VrrpRunState): Map<string, SyncGroup> => {
    const out = new Map<string, SyncGroup>();
    for (const sg of c.vrrpSyncGroups) {
      const members = sg.group.map((n) => next.get(n)?.machine).filter((m): m is VrrpMachine => m !== undefined);
      const group = new SyncGroup(sg, members, (state) => {
        info(`(${sg.name}) Entering ${state} STATE`, { group: sg.name });
        for (const argv of notifyCommands(sg.notify, 'GROUP', sg.name, state, 0)) runScript(argv);
      }, initial(sg.name));
      for (const n of sg.group) out.set(n, group);
    }
    return out;
  };

  const index = (): void => {
    byLink = new Map();
    for (const r of running.values()) byLink.set(r.link, [...(byLink.get(r.link) ?? []), r]);
  };

  running = buildAll(config);
  groupOf = groupsOf(config, running, () => 'INIT');
  index();
  for (const r of running.values()) r.machine.start();

  /**
   * keepalived's clear_diff_vrrp and vrrp_init_state on a reload, in their order:
   * 1. an old instance no new one continues (sameRouter) is deleted: a master sends priority 0,
   *    its VIPs go (stateChanged DELETED), and its notify scripts run with FAULT, keepalived's
   *    default for a deleted instance;
   * 2. an instance that continues one keeps its state, without a transition or notify. A master
   *    keeps the VIPs that stay; the ones no longer in virtual_ipaddress go ("no longer exist"),
   *    new ones are added, and only then does a GARP burst go out for all of them. A sync group
   *    stays MASTER only if all its members were; otherwise its masters go back to BACKUP;
   * 3. a new instance starts as at startup.
   */
  const reload = (next: KeepalivedConfig): void => {
    const fresh = buildAll(next);
    const continues = new Map<Running, Running>();
    const deleted: Running[] = [];
    for (const old of running.values()) {
      const n = [...fresh.values()].find((x) => !continues.has(x) && sameRouter(old, x));
      if (n) continues.set(n, old);
      else deleted.push(old);
    }
    for (const r of deleted) {
      const from = r.machine.state;
      r.announcer.cancel();
      r.machine.delete();
      log({ level: 'info', event: 'vrrp_deleted', instance: r.vi.name, from, message: `(${r.vi.name}) removed from the configuration` });
      chain(r, 'DELETED', () => actions.stateChanged(r.vi, 'DELETED', from));
      draining.push(r.actionChain);
      for (const argv of notifyCommands(r.vi.notify, 'INSTANCE', r.vi.name, 'FAULT', r.vi.priority)) runScript(argv);
    }
    const wasMaster = (n: string): boolean => {
      const f = fresh.get(n);
      return f !== undefined && continues.get(f)?.machine.state === 'MASTER';
    };
    const oldGroups = new Map([...groupOf.values()].map((sg) => [sg.def.name, sg.state]));
    const allMaster = new Set(next.vrrpSyncGroups.filter((sg) => sg.group.every(wasMaster)).map((sg) => sg.name));
    // keepalived notifies a group at a reload only when its state is not the one it had.
    const pending: SyncGroup[] = [];
    groupOf = groupsOf(next, fresh, (name) => (allMaster.has(name) ? 'MASTER' : oldGroups.get(name) === 'BACKUP' ? 'BACKUP' : 'INIT'));
    for (const sg of new Set(groupOf.values())) if (sg.state === 'INIT') pending.push(sg);
    running = fresh;
    index();
    for (const sg of pending) sg.memberMoved(undefined, 'BACKUP');
    for (const n of fresh.values()) {
      const old = continues.get(n);
      if (!old) {
        n.machine.start();
        continue;
      }
      const state = old.machine.state;
      old.announcer.cancel();
      old.machine.retire();
      n.actionChain = old.actionChain;
      if (state !== 'MASTER') {
        n.machine.resume('BACKUP');
        continue;
      }
      const group = groupOf.get(n.vi.name);
      if (group && group.state !== 'MASTER') {
        n.machine.resume('BACKUP', true);
        continue;
      }
      n.machine.resume('MASTER');
      const removed = old.vi.virtualIpaddress.filter((v) => !n.vi.virtualIpaddress.some((w) => sameVip(v, old.vi, w, n.vi)));
      const added = n.vi.virtualIpaddress.filter((v) => !old.vi.virtualIpaddress.some((w) => sameVip(w, old.vi, v, n.vi)));
      for (const v of removed) {
        info(`(${n.vi.name}) ip address ${formatIp(v.addr)}/${v.plen} dev ${old.vi.dpdkInterface ?? old.vi.interface ?? ''}, no longer exist`, { instance: n.vi.name });
      }
      if (added.length === 0 && removed.length === 0) n.announcer.reloaded(false);
      else {
        chain(n, 'MASTER', () => actions.vipsChanged?.(n.vi, added, removed, old.vi), () => {
          if (n.machine.state === 'MASTER') n.announcer.reloaded(added.length > 0);
        });
      }
    }
    closeUnused();
  };

  return {
    states: () => new Map([...running].map(([n, r]) => [n, r.machine.state])),
    machines: () => new Map([...running].map(([n, r]) => [n, r.machine])),
    reload,
    async stop() {
      for (const r of running.values()) {
        r.announcer.cancel();
        r.machine.stop();
      }
      await Promise.all([...draining, ...[...running.values()].map((r) => r.actionChain)]);
      for (const l of links.values()) l.close();
      links.clear();
    },
  };
}
