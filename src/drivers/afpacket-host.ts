// The main thread's half of the afpacket driver: it opens no socket (each worker opens its own),
// reads each interface's MAC and MTU, takes the interfaces over and gives them back on close().
// With several workers it names the fanout groups and tracks which worker holds which slot.

import { TsvsError } from '../errors.js';
import type { PortSettings, RingSettings } from '../control/config-file.js';
import type { MacAddr } from '../packet/inet.js';
import type { DriverHost, OwnedAddrs } from './driver.js';
import { afPacketAddon } from './afpacket-addon.js';
import type { AfPacketOptions } from './afpacket.js';
import { AFPACKET_DRIVER, type AfPacketDriverInit, type AfPacketSteeringInit } from './afpacket-port-driver.js';
import { FanoutMembers } from './fanout-members.js';
import { FANOUT_MAX_LIPS, FANOUT_MAX_VIPS } from './fanout-program.js';
import { tableName } from './nft-takeover.js';
import { type Takeover, takeOver } from './takeover.js';

/** tsvs.conf's ring block as addon options: the same frames and frame size for RX and TX. */
export function ringOptions(r: RingSettings): AfPacketOptions {
  const blockNr = Math.max(1, Math.ceil((r.frames * r.frameSize) / r.blockSize));
  return {
    version: r.ringVersion, blockSize: r.blockSize, blockNr, frameSize: r.frameSize, retireMs: r.retireMs,
    txFrameSize: r.frameSize, txFrameNr: r.frames,
  };
}

/** Rings of the per-worker ARP/ND sockets: a few frames are plenty. */
const NEIGHBOUR_RING: AfPacketOptions = { version: 2, blockSize: 1 << 16, blockNr: 1, frameSize: 2048, txFrameSize: 2048, txFrameNr: 2 };

export interface ResolvedPort {
  readonly name: string;
  readonly iface: string;
  readonly mac: MacAddr;
  readonly mtu: number;
}

export class AfPacketHost implements DriverHost {
  readonly name = AFPACKET_DRIVER;
  /** The ports with the interface's MAC and MTU filled in where tsvs.conf left them out. */
  readonly ports: readonly ResolvedPort[];
  private readonly options: AfPacketOptions;
  private takeover: Takeover | null;
  /** Several workers: who holds which fanout slot (shared with the workers), and the group ids. */
  readonly members: FanoutMembers | null;
  private readonly groups: readonly number[];
  private readonly wakeFds: (number | undefined)[] = [];
  /** A daemon that dies of an uncaught exception still gives the interfaces back (not on SIGKILL). */
  private readonly onExit = (): void => this.close();

  /** `identity` (the control socket path) names the nft table: see tableName(). */
  constructor(readonly workers: number, ports: readonly PortSettings[], ring: RingSettings, identity: string) {
    if (ports.length === 0) throw new TsvsError('TSVS_ERR_CONFIG', 'driver afpacket needs at least one netif_defs { device NAME { interface IF } }');
    const addon = afPacketAddon();
    this.ports = ports.map((p) => {
      let info;
      try {
        info = addon.ifaceInfo(p.iface);
      } catch (e) {
        throw new TsvsError('TSVS_ERR_CONFIG', `device ${p.name}: interface ${p.iface}: ${(e as Error).message}`, { cause: e });
      }
      if (!info.ethernet) throw new TsvsError('TSVS_ERR_CONFIG', `device ${p.name}: interface ${p.iface} is not Ethernet`);
      return { name: p.name, iface: p.iface, mac: p.mac ?? info.mac, mtu: p.mtu ?? info.mtu };
    });
    this.options = ringOptions(ring);
    this.members = workers > 1 ? new FanoutMembers(workers) : null;
    // Group ids are per network namespace: the pid keeps two daemons in one namespace apart.
    this.groups = this.ports.map((_, i) => (process.pid * 64 + i) % 0x10000);
    this.takeover = takeOver(this.ports.map((p) => p.iface), tableName(identity));
    process.on('exit', this.onExit);
  }

  /** The nftables table hiding tsvs's traffic from the kernel (`nft list table netdev NAME`). */
  get table(): string | null {
    return this.takeover?.table ?? null;
  }

  /** The takeover's sets follow the configuration; a failing nft refuses the batch (it throws). */
  addressesChanged(owned: OwnedAddrs): void {
    this.takeover?.addressesChanged(owned);
  }

  workerInit(index: number): AfPacketDriverInit {
    const ports = this.ports.map((p) => ({ ifname: p.iface, options: this.options }));
    // One eventfd per worker index, kept across restarts (a fresh thread drains what is pending).
    const wakeFd = this.wakeFds[index] ??= afPacketAddon().eventFd();
    if (!this.members) return { driver: AFPACKET_DRIVER, ports, wakeFd };
    const steering: AfPacketSteeringInit = { workers: this.workers, groups: this.groups, members: this.members.buffer, neighbourOptions: NEIGHBOUR_RING };
    // Every worker sees every ARP/ND frame; worker 0 alone answers them.
    return { driver: AFPACKET_DRIVER, ports, steering, wakeFd, answerNeighbours: index === 0 };
  }

  /** The workers open one socket per declared device at start: a port added later would carry nothing. */
  check(ports: readonly string[], owned: OwnedAddrs): void {
    ports.forEach((name, i) => {
      if (this.ports[i]?.name === name) return;
      const declared = this.ports.map((p) => p.name).join(', ');
      throw new TsvsError('TSVS_ERR_CONFIG', `device ${name}: driver afpacket opens only the devices of tsvs.conf's netif_defs (${declared}), at start; declare it there and restart the daemon`);
    });
    if (!this.members) return;
    for (const af of [4, 6]) {
      const vips = owned.vips.filter((a) => a.af === af).length, lips = owned.lips.filter((a) => a.af === af).length;
      if (vips > FANOUT_MAX_VIPS) throw new TsvsError('TSVS_ERR_CONFIG', `${vips} IPv${af} VIPs: the afpacket fanout program with several workers steers at most ${FANOUT_MAX_VIPS}`);
      if (lips > FANOUT_MAX_LIPS) throw new TsvsError('TSVS_ERR_CONFIG', `${lips} IPv${af} LIPs: the afpacket fanout program with several workers steers at most ${FANOUT_MAX_LIPS}`);
    }
  }

  workerJoined(index: number): void {
    this.members?.joined(index);
  }

  workerLeft(index: number): void {
    this.members?.left(index);
  }

  /** Signals the worker's eventfd: its poll() returns and it takes the new configuration at once. */
  wake(index: number): void {
    const fd = this.wakeFds[index];
    if (fd !== undefined) afPacketAddon().signal(fd);
  }

  close(): void {
    for (const fd of this.wakeFds) if (fd !== undefined) afPacketAddon().closeEventFd(fd);
    this.wakeFds.length = 0;
    this.takeover?.restore();
    this.takeover = null;
    process.off('exit', this.onExit);
  }
}
