// The main thread's half of the afpacket driver: it opens no socket (each worker opens its own),
// reads each interface's MAC and MTU, takes the interfaces over and gives them back on close().

import { TsvsError } from '../errors.js';
import type { PortSettings, RingSettings } from '../control/config-file.js';
import type { MacAddr } from '../packet/inet.js';
import type { DriverHost, OwnedAddrs } from './driver.js';
import { afPacketAddon } from './afpacket-addon.js';
import type { AfPacketOptions } from './afpacket.js';
import { AFPACKET_DRIVER, type AfPacketDriverInit } from './afpacket-port-driver.js';
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
  /** A daemon that dies of an uncaught exception still gives the interfaces back (not on SIGKILL). */
  private readonly onExit = (): void => this.close();

  /** `identity` (the control socket path) names the nft table: see tableName(). */
  constructor(workers: number, ports: readonly PortSettings[], ring: RingSettings, identity: string) {
    // Several workers need the fanout group and its steering program (docs/daemon.md).
    if (workers !== 1) throw new TsvsError('TSVS_ERR_CONFIG', `driver afpacket runs 1 worker for now (workers ${workers}): fanout steering is not wired in yet`);
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

  workerInit(_index: number): AfPacketDriverInit {
    return { driver: AFPACKET_DRIVER, ports: this.ports.map((p) => ({ ifname: p.iface, options: this.options })) };
  }

  /** A worker blocked in poll() sees new configuration within its poll timeout (an eventfd could do better). */
  wake(_index: number): void {}

  close(): void {
    this.takeover?.restore();
    this.takeover = null;
    process.off('exit', this.onExit);
  }
}
