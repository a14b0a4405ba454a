// VRRP for `tsvs keepalived`: every vrrp_instance of a keepalived.conf as a running state machine on
// its interface, adverts in and out through AF_PACKET, VIPs handed to the caller (the daemon API),
// GARP/NA, notify scripts and keepalived-like JSON log lines.
//
//   const vrrp = startVrrp(config, daemonVipActions(socketPath), { log: stderrLogger, ports: { dpdk0: 'eth1' } });
//   ... vrrp.states()  // Map { 'VI_1' => 'MASTER' }
//   await vrrp.stop(); // priority 0 adverts, VIPs removed, notify_stop
//
// `interface dpdk0.kni` (DPVS's kernel twin of port dpdk0) means the Linux interface behind tsvs
// port dpdk0 here (`ports`); the VIPs' GARPs go on the Linux interface of `dpdk_interface`.

import type { Logger } from '../../control/log.js';
import { TsvsError } from '../../errors.js';
import { type IpAddr, formatIp, parseIp } from '../../packet/inet.js';
import type { KeepalivedConfig, VrrpInstance } from '../model.js';
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
   * other state removed. GARPs go out once the returned promise settles.
   */
  stateChanged(instance: VrrpInstance, state: VrrpRunState, from: VrrpRunState): void | Promise<void>;
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
  /** Serialises the VIP changes of one instance. */
  actionChain: Promise<void>;
}

export function startVrrp(config: KeepalivedConfig, actions: VrrpActions, opts: VrrpOptions): VrrpHandle {
  const clock = opts.clock ?? realClock;
  const log = opts.log;
  const ports = opts.ports ?? {};
  const runScript = opts.runScript ?? spawnRunner(log);
  const openLink = opts.openLink ?? ((ifname: string) => new AfPacketVrrpLink(ifname));
  const g = config.globalDefs;
  const links = new Map<string, VrrpLink>();
  const link = (ifname: string): VrrpLink => {
    let l = links.get(ifname);
    if (!l) links.set(ifname, (l = openLink(ifname)));
    return l;
  };
  const running = new Map<string, Running>();
  const groupOf = new Map<string, SyncGroup>();
  const frame = new Uint8Array(2048);
  let ipId = 1;

  const info = (message: string, fields: Record<string, unknown> = {}): void => log({ level: 'info', event: 'vrrp', message, ...fields });

  try {
    for (const vi of config.vrrpInstances) {
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
      const r = { vi, check, link: l, garpLink, src, af, actionChain: Promise.resolve() } as Running;
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
        const dsts = vi.unicastPeers.length > 0 ? vi.unicastPeers.map((p) => p.addr) : [af === 4 ? g.vrrpMcastGroup4 ?? MCAST4 : g.vrrpMcastGroup6 ?? MCAST6];
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
          r.actionChain = r.actionChain.then(async () => {
            try {
              await actions.stateChanged(vi, to, from);
            } catch (e) {
              log({ level: 'error', event: 'vrrp_action_failed', instance: vi.name, state: to, error: (e as Error).message });
            }
            // GARPs only once the VIPs are in place, and only if still MASTER.
            if (to === 'MASTER' && r.machine.state === 'MASTER') r.announcer.masterEntered();
          });
          for (const argv of notifyCommands(vi.notify, 'INSTANCE', vi.name, to, vi.priority)) runScript(argv);
          groupOf.get(vi.name)?.memberMoved(r.machine, to);
        },
      });
      running.set(vi.name, r);
    }
    for (const sg of config.vrrpSyncGroups) {
      const members = sg.group.map((n) => running.get(n)?.machine).filter((m): m is VrrpMachine => m !== undefined);
      const group = new SyncGroup(sg, members, (state) => {
        info(`(${sg.name}) Entering ${state} STATE`, { group: sg.name });
        for (const argv of notifyCommands(sg.notify, 'GROUP', sg.name, state, 0)) runScript(argv);
      });
      for (const n of sg.group) groupOf.set(n, group);
    }
  } catch (e) {
    for (const l of links.values()) l.close();
    throw e;
  }

  // One receive handler per link: decode, find the instance by VRID and family, check, act.
  for (const l of links.values()) {
    const mine = [...running.values()].filter((r) => r.link === l);
    l.onFrame((buf, off, len) => {
      const ip = parseVrrpFrame(buf, off, len);
      if (!ip) return;
      const a = decodeAdvert(buf, ip.off, ip.len, ip.af);
      if (!a) return;
      const r = mine.find((x) => x.vi.virtualRouterId === a.vrid && x.af === ip.af);
      if (!r) return; // another VRID: not ours (keepalived ignores it too)
      const res = checkAdvert(r.check, ip, a, buf);
      if (res.verdict !== 'ok') {
        log({ level: 'info', event: 'vrrp_advert_rejected', instance: r.vi.name, from: formatIp(ip.src), message: res.message });
        return;
      }
      r.machine.receive({ priority: a.priority, src: ip.src, ...(a.version === 3 ? { advertIntCs: a.advertInt } : {}) });
    });
  }
  for (const r of running.values()) r.machine.start();

  return {
    states: () => new Map([...running].map(([n, r]) => [n, r.machine.state])),
    machines: () => new Map([...running].map(([n, r]) => [n, r.machine])),
    async stop() {
      for (const r of running.values()) {
        r.announcer.cancel();
        r.machine.stop();
      }
      await Promise.all([...running.values()].map((r) => r.actionChain));
      for (const l of links.values()) l.close();
    },
  };
}
