// The worker's half of the afpacket driver: one AF_PACKET socket per tsvs port, in port-index
// order, all in one arena (AfPacketPorts). rxBurst feeds the engine, flush kicks, wait polls.
// With several workers each port's socket joins the port's fanout group, steered by the program
// built from the owned addresses, and a second socket per port receives every ARP/ND frame.

import type { DriverInit, OwnedAddrs, PortDriver, RxHandler } from './driver.js';
import type { FrameHandler } from './afpacket-ring.js';
import { AfPacketPorts, type AfPacketOptions } from './afpacket.js';
import { PACKET_FANOUT_CBPF, type AfPacketAddon, afPacketAddon } from './afpacket-addon.js';
import { FanoutMembersView } from './fanout-members.js';
import { fanoutProgram } from './fanout-program.js';
import { neighbourFilter } from './neighbour-filter.js';

export const AFPACKET_DRIVER = 'afpacket';

export interface AfPacketSteeringInit {
  readonly workers: number;
  /** The fanout group id of port i (one group per interface). */
  readonly groups: readonly number[];
  /** The members table (fanout-members.ts), shared with the host. */
  readonly members: SharedArrayBuffer;
  /** Ring options of the ARP/ND sockets (they carry little). */
  readonly neighbourOptions: AfPacketOptions;
}

export interface AfPacketDriverInit extends DriverInit {
  readonly driver: typeof AFPACKET_DRIVER;
  /** Linux interface of tsvs port i, with its ring options. */
  readonly ports: readonly { readonly ifname: string; readonly options: AfPacketOptions }[];
  /** Several workers: the fanout groups to join (absent with one worker). */
  readonly steering?: AfPacketSteeringInit;
  /** The host's eventfd for this worker: polled with the sockets, so DriverHost.wake interrupts wait(). */
  readonly wakeFd?: number;
}

const NOOP: RxHandler = () => {};
const NO_ADDRS: OwnedAddrs = { vips: [], lips: [], local: [] };

export class AfPacketPortDriver implements PortDriver {
  readonly io: AfPacketPorts;
  /** The handler of the current burst: the per-socket closures below call it, so none is made per burst. */
  private handler: RxHandler = NOOP;
  /** Per socket: socket k carries engine port k % ports (the ARP/ND sockets follow the fanout ones). */
  private readonly perSocket: FrameHandler[];
  /** The socket a burst starts with rotates, so one busy port cannot starve the others. */
  private next = 0;
  private readonly steering: AfPacketSteeringInit | undefined;
  private readonly members: FanoutMembersView | null;
  private owned: OwnedAddrs = NO_ADDRS;
  private readonly addon: AfPacketAddon = afPacketAddon();
  /** Every socket's fd, then the wake-up eventfd (if any): what wait() polls. */
  private readonly pollFds: Int32Array;
  private readonly revents: Int32Array;
  private readonly wakeFd: number;
  /** Engine ports: socket k carries port k % portCount. */
  private readonly portCount: number;

  constructor(init: AfPacketDriverInit) {
    const st = init.steering;
    this.steering = st;
    const n = init.ports.length;
    this.portCount = n;
    const specs = init.ports.map((p) => ({ ifname: p.ifname, options: st ? { ...p.options, filter: neighbourFilter(false) } : p.options }));
    if (st) for (const p of init.ports) specs.push({ ifname: p.ifname, options: { ...st.neighbourOptions, filter: neighbourFilter(true) } });
    this.io = AfPacketPorts.open(specs);
    this.perSocket = specs.map((_, k) => (buf: Uint8Array, off: number, len: number) => this.handler(k % n, buf, off, len));
    this.members = st ? new FanoutMembersView(st.members) : null;
    this.wakeFd = init.wakeFd ?? -1;
    this.pollFds = Int32Array.from([...this.io.sockets.map((s) => s.fd), ...(this.wakeFd >= 0 ? [this.wakeFd] : [])]);
    this.revents = new Int32Array(this.pollFds.length);
    if (st) {
      try {
        // Joined in port order; the pool opens the next worker only once this one is in every group.
        for (let i = 0; i < n; i++) this.io.sockets[i]!.joinFanout(st.groups[i]!, PACKET_FANOUT_CBPF);
        // A group without a program sends everything to slot 0: its first member installs one at
        // once. A worker joining live ones (a restart) keeps theirs until it has the configuration:
        // an address-less program would steer their FullNAT replies by hash meanwhile.
        if (this.members!.read().length === 0) this.install();
      } catch (e) {
        this.io.close();
        throw e;
      }
    }
  }

  /** (Re)installs the steering program in every port's group: idempotent, any member may. */
  private install(): void {
    const st = this.steering!;
    const members = this.members!.read();
    const v4 = (l: OwnedAddrs['vips']): number[] => l.filter((a) => a.af === 4).map((a) => a.w0 >>> 0);
    const v6 = (l: OwnedAddrs['vips']): number[][] => l.filter((a) => a.af === 6).map((a) => [a.w0 >>> 0, a.w1 >>> 0, a.w2 >>> 0, a.w3 >>> 0]);
    const prog = fanoutProgram({
      workers: st.workers, vips4: v4(this.owned.vips), vips6: v6(this.owned.vips), lips4: v4(this.owned.lips), lips6: v6(this.owned.lips), members,
    });
    for (let i = 0; i < st.groups.length; i++) this.io.sockets[i]!.setFanoutProgram(prog);
  }

  addressesChanged(owned: OwnedAddrs): void {
    this.owned = owned;
    if (this.steering) this.install();
  }

  rxBurst(handler: RxHandler, max: number): number {
    // A worker joined or left: the slots moved (one atomic load per burst when nothing did).
    if (this.members !== null && this.members.changed()) this.install();
    this.handler = handler;
    const socks = this.io.sockets, n = socks.length;
    let got = 0;
    for (let k = 0; k < n && got < max; k++) {
      const i = (this.next + k) % n;
      got += socks[i]!.rxBurst(this.perSocket[i]!, max - got);
    }
    this.next = n === 0 ? 0 : (this.next + 1) % n;
    return got;
  }

  transmit(port: number, buf: Uint8Array, off: number, len: number): void {
    this.io.transmit(port, buf, off, len);
  }

  toKernel(port: number, buf: Uint8Array, off: number, len: number): void {
    this.io.toKernel(port, buf, off, len);
  }

  flush(): void {
    this.io.flush();
  }

  /** poll() on every socket and the wake-up eventfd: new configuration ends the wait at once. */
  wait(timeoutMs: number): void {
    const n = this.addon.poll(this.pollFds, timeoutMs, this.revents);
    const w = this.pollFds.length - 1;
    if (n > 0 && this.wakeFd >= 0 && this.revents[w] !== 0) this.addon.drain(this.wakeFd);
  }

  /** PACKET_STATISTICS resets on read: each read is the loss since the previous one. */
  rxMissed(missed: Float64Array): void {
    const socks = this.io.sockets, ports = this.portCount;
    for (let k = 0; k < socks.length; k++) missed[k % ports]! += socks[k]!.stats().drops;
  }

  txDrops(): number {
    let d = 0;
    for (const s of this.io.sockets) d += s.txFull + s.txTooBig;
    return d;
  }

  close(): void {
    this.io.close();
  }
}
