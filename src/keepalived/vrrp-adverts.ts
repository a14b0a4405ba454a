// The VrrpDriver that runs VRRP for real (src/keepalived/vrrp): adverts on each instance's
// `interface`, states from the elections, and GARP/NA only once the daemon holds the VIPs.
//
// The VIPs themselves are not placed here: a state change goes to the process, which recomputes
// desiredState and sends the diff (`tsip addr add|del VIP/PLEN dev <dpdk_interface>`, /32 or /128) in its batch.

import { TsvsError } from '../errors.js';
import type { Logger } from '../control/log.js';
import type { VrrpState } from './desired.js';
import { formatIp } from '../packet/inet.js';
import type { IpAddr } from '../packet/inet.js';
import type { KeepalivedConfig, VrrpInstance } from './model.js';
import { buildAnnouncement } from './vrrp/garp.js';
import { type VrrpHandle, type VrrpOptions, type VrrpRunState, kernelInterface, startVrrp } from './vrrp/index.js';
import { AfPacketVrrpLink, type VrrpLink } from './vrrp/link.js';
import type { VrrpDriver, VrrpStateListener } from './vrrp-driver.js';

export interface AdvertVrrpOptions {
  readonly log: Logger;
  /** tsvs port -> Linux interface: `interface dpdk0.kni` and `dpdk_interface dpdk0` resolve through it. */
  readonly ports: Readonly<Record<string, string>>;
  readonly clock?: VrrpOptions['clock'];
  readonly openLink?: VrrpOptions['openLink'];
  readonly runScript?: VrrpOptions['runScript'];
}

/** INIT and STOP hold no VIPs, as BACKUP. */
function held(s: VrrpRunState): VrrpState {
  return s === 'MASTER' || s === 'FAULT' ? s : 'BACKUP';
}

/**
 * The VRRP part of a config: a reload that leaves it equal keeps the elections running untouched.
 * Instances and sync groups without their line numbers (a comment added above them changes
 * nothing), and only the global_defs VRRP reads: lvs_flush, router_id and the like are not VRRP's.
 */
function vrrpPart(c: KeepalivedConfig): string {
  const g = c.globalDefs;
  const globals = [
    g.vrrpGarpMasterDelay, g.vrrpGarpMasterRepeat, g.vrrpGarpMasterRefresh, g.vrrpGarpMasterRefreshRepeat,
    g.vrrpGarpLowerPrioDelay, g.vrrpGarpLowerPrioRepeat, g.vrrpGarpInterval, g.vrrpGnaInterval,
    g.vrrpMcastGroup4, g.vrrpMcastGroup6, g.vrrpVersion, g.vrrpStrict,
  ];
  const noWhere = (_k: string, v: unknown): unknown => (_k === 'where' ? undefined : v);
  return JSON.stringify([c.vrrpInstances, c.vrrpSyncGroups, globals], noWhere);
}

export class AdvertVrrp implements VrrpDriver {
  #handle: VrrpHandle | undefined;
  #listener: VrrpStateListener = () => undefined;
  #running = '';
  /** The configuration VRRP runs: the LIPs announced with a VIP are its services'. */
  #config: KeepalivedConfig | undefined;

  constructor(private readonly opts: AdvertVrrpOptions) {}

  start(config: KeepalivedConfig, onStateChange: VrrpStateListener): void {
    this.#listener = onStateChange;
    this.#running = vrrpPart(config);
    this.#config = config;
    try {
      this.#handle = startVrrp(config, {
        // The process logs the change and sends the batch; the promise settles once the daemon
        // holds (or no longer holds) the VIPs, and only then does VRRP send its GARPs.
        stateChanged: async (vi, state) => {
          await this.#listener(vi.name, held(state));
          if (state === 'MASTER') this.#announceLips(vi);
        },
        // A reload changed a master's VIPs: the process's diff adds and removes them.
        vipsChanged: async (vi, added) => {
          await this.#listener(vi.name, 'MASTER');
          if (added.length) this.#announceLips(vi);
        },
      }, {
        log: this.opts.log, ports: this.opts.ports,
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
        ...(this.opts.openLink ? { openLink: this.opts.openLink } : {}),
        ...(this.opts.runScript ? { runScript: this.opts.runScript } : {}),
      });
    } catch (e) {
      throw this.#explain(e);
    }
  }

  #explain(e: unknown): TsvsError {
    const ports = Object.keys(this.opts.ports);
    const hint = ports.length === 0
      ? ' tsvs keepalived maps DPVS kernel twin names (dpdk0.kni) to Linux interfaces through the daemon\'s netif_defs: give --tsvs-conf FILE or --kni-map dpdk0=IFNAME'
      : ` (known ports: ${ports.map((p) => `${p}=${this.opts.ports[p]}`).join(', ')})`;
    return new TsvsError('TSVS_ERR_CONFIG', `${(e as Error).message}.${hint}`, { cause: e });
  }

  /**
   * The LIPs arrive with the VIP (desiredState gives a backup none), so real servers must learn
   * their new MAC as the client learns the VIP's: one gratuitous ARP (NA) each, on dpdk_interface.
   * Without it a real server keeps sending replies to the old master's MAC until its neighbour
   * entry expires.
   */
  #announceLips(vi: VrrpInstance): void {
    const config = this.#config;
    if (vi.dpdkInterface === undefined || config === undefined) return;
    const vips = new Set(vi.virtualIpaddress.map((v) => formatIp(v.addr)));
    const lips = new Map<string, IpAddr>();
    for (const vs of config.virtualServers) {
      const addrs = vs.key.kind === 'ip' ? [vs.key.addr] : vs.key.kind === 'group' ? (config.virtualServerGroups.find((g) => g.name === (vs.key as { name: string }).name)?.addrs ?? []).map((a) => a.addr) : [];
      if (!addrs.some((a) => vips.has(formatIp(a))) || vs.method !== 'FNAT') continue;
      for (const e of config.localAddressGroups.find((g) => g.name === vs.laddrGroupName)?.entries ?? []) lips.set(formatIp(e.addr), e.addr);
    }
    if (lips.size === 0) return;
    const ifname = kernelInterface(vi.dpdkInterface, this.opts.ports);
    let link: VrrpLink | undefined;
    try {
      link = (this.opts.openLink ?? ((n: string) => new AfPacketVrrpLink(n)))(ifname);
      const frame = new Uint8Array(128);
      for (const lip of lips.values()) link.send(frame, buildAnnouncement(frame, link.mac, lip));
      this.opts.log({ level: 'info', event: 'lip_announce', instance: vi.name, message: `(${vi.name}) Sending gratuitous ARP on ${ifname} for ${[...lips.keys()].join(', ')}` });
    } catch (e) {
      this.opts.log({ level: 'warn', event: 'lip_announce_failed', instance: vi.name, message: (e as Error).message });
    } finally {
      link?.close();
    }
  }

  states(): ReadonlyMap<string, VrrpState> {
    const out = new Map<string, VrrpState>();
    for (const [name, s] of this.#handle?.states() ?? []) out.set(name, held(s));
    return out;
  }

  /**
   * SIGHUP. An unchanged VRRP part keeps running untouched. A changed one is reloaded as
   * keepalived reloads (VrrpHandle.reload): instances that stay keep their state, a master its
   * VIPs; removed ones resign; new ones start. A configuration VRRP cannot run (an interface
   * without an address) throws, and the running one stays.
   */
  reload(config: KeepalivedConfig): void {
    if (vrrpPart(config) === this.#running) {
      // The services (and so the LIPs a takeover announces) may have changed all the same.
      this.#config = config;
      return;
    }
    try {
      this.#handle?.reload(config);
    } catch (e) {
      throw this.#explain(e);
    }
    this.#running = vrrpPart(config);
    this.#config = config;
  }

  async stop(): Promise<void> {
    const h = this.#handle;
    this.#handle = undefined;
    await h?.stop();
  }
}
