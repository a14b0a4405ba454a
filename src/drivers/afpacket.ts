// The AF_PACKET driver: per port a socket whose rings live in the worker's one arena, a burst
// receive shaped for Engine.input, and a FrameSink whose transmit() copies into the send ring.
// Native calls happen per burst (poll, kick), never per packet; nothing here allocates per packet.
//
//   const io = AfPacketPorts.open([{ ifname: 'eth1' }, { ifname: 'eth2' }]);   // engine ports 0, 1
//   const engine = new Engine(io, clock);
//   const onPort0 = (buf, off, len) => engine.input(0, buf, off, len);        // made once
//   for (;;) { io.poll(10); io.sockets[0].rxBurst(onPort0); ...; io.flush(); }

import type { FrameSink } from '../netif/stack.js';
import { type AddonOpenOptions, type AddonSocket, type AddonStats, type AfPacketAddon, afPacketAddon } from './afpacket-addon.js';
import { type FrameHandler, RX_SCRATCH_BYTES, RxRing, TxRing } from './afpacket-ring.js';

/** Ring and socket settings of one port (see AddonOpenOptions). vnetHdr defaults to true here. */
export type AfPacketOptions = Omit<AddonOpenOptions, 'arena' | 'arenaOffset' | 'scratchSize'>;

/** Frames handed to the engine per rxBurst() call unless told otherwise. */
export const RX_BUDGET = 256;

function withDefaults(o: AfPacketOptions | undefined): AfPacketOptions {
  // With the virtio_net_hdr we can tell GSO super-frames and finish CHECKSUM_PARTIAL sums; without
  // it a veth peer's offloads hand the engine frames whose checksums are not yet computed.
  return { vnetHdr: true, ...o };
}

export class AfPacketSocket {
  readonly fd: number;
  readonly ifindex: number;
  readonly ifname: string;
  readonly rx: RxRing;
  readonly tx: TxRing;
  /** Frames given to the kernel to send. */
  txFrames = 0;
  /** Frames dropped because every send slot was still the kernel's, even after a kick. */
  txFull = 0;
  /** Frames longer than a send slot. */
  txTooBig = 0;
  /** Frames copied from a buffer outside the arena (a byte loop): should stay rare. */
  txForeign = 0;
  kicks = 0;
  kickErrors = 0;
  /** errno of the last failed kick (ENOBUFS, ENETDOWN, ENXIO...). */
  lastKickErrno = 0;
  private open = true;

  private constructor(private readonly addon: AfPacketAddon, s: AddonSocket, readonly u8: Uint8Array, scratchOff: number) {
    this.fd = s.fd;
    this.ifindex = s.ifindex;
    this.ifname = s.ifname;
    this.rx = new RxRing(u8, s, scratchOff, s.vnetHdr);
    this.tx = new TxRing(u8, s, s.vnetHdr);
  }

  /** A socket with its own arena (rings, then receive scratch). */
  static open(ifname: string, opts?: AfPacketOptions): AfPacketSocket {
    const addon = afPacketAddon();
    const s = addon.open(ifname, { ...withDefaults(opts), scratchSize: RX_SCRATCH_BYTES });
    return new AfPacketSocket(addon, s, new Uint8Array(s.buffer), s.scratchOffset);
  }

  /** A socket whose rings go into a shared arena at ringOff, its scratch at scratchOff. */
  static openIn(u8: Uint8Array, ringOff: number, scratchOff: number, ifname: string, opts?: AfPacketOptions): AfPacketSocket {
    const addon = afPacketAddon();
    const s = addon.open(ifname, { ...withDefaults(opts), arena: u8.buffer as ArrayBuffer, arenaOffset: ringOff });
    return new AfPacketSocket(addon, s, u8, scratchOff);
  }

  /** Hands up to `budget` received frames to the handler (see RxRing). Returns how many. */
  rxBurst(handler: FrameHandler, budget = RX_BUDGET): number {
    return this.rx.burst(handler, budget);
  }

  /**
   * Copies a frame into the next send slot and marks it SEND_REQUEST; it leaves on flush(). When
   * the ring is full we kick once to free slots, then drop (counted) rather than wait.
   */
  send(buf: Uint8Array, off: number, len: number): boolean {
    const tx = this.tx, u8 = this.u8;
    if (len > tx.maxLen) {
      this.txTooBig++;
      return false;
    }
    let d = tx.reserve();
    if (d < 0) {
      this.flush();
      d = tx.reserve();
      if (d < 0) {
        this.txFull++;
        return false;
      }
    }
    if (buf === u8) {
      u8.copyWithin(d, off, off + len);
    } else if (buf.buffer === u8.buffer) {
      const from = buf.byteOffset - u8.byteOffset + off;
      u8.copyWithin(d, from, from + len);
    } else {
      // Another ArrayBuffer: set(subarray()) would allocate a view per frame, so copy by hand.
      this.txForeign++;
      for (let i = 0; i < len; i++) u8[d + i] = buf[off + i]!;
    }
    tx.commit(len);
    this.txFrames++;
    return true;
  }

  /**
   * Sends what send() queued: one send(MSG_DONTWAIT) for the burst. Returns bytes or -errno.
   * `force` kicks even with nothing new queued, to retry frames a failed kick left in the ring.
   */
  flush(force = false): number {
    if ((this.tx.pending === 0 && !force) || !this.open) return 0;
    this.tx.pending = 0;
    this.kicks++;
    const r = this.addon.kick(this.fd);
    if (r < 0) {
      this.kickErrors++;
      this.lastKickErrno = -r;
    }
    return r;
  }

  /** Blocks until a frame (V2) or block (V3) is ready, up to timeoutMs. Returns revents. */
  poll(timeoutMs: number): number {
    return this.addon.poll(this.fd, timeoutMs);
  }

  /** PACKET_STATISTICS since the last call (the kernel resets them on read). */
  stats(): AddonStats {
    return this.addon.stats(this.fd);
  }

  /** Joins fanout group `group`; with PACKET_FANOUT_CBPF, `prog` steers (fanout-program.ts). */
  joinFanout(group: number, mode: number, flags = 0, prog?: Uint8Array): void {
    this.addon.fanout(this.fd, group, mode, flags, prog);
  }

  /** Replaces the program of this socket's fanout group, for all its members at once. */
  setFanoutProgram(prog: Uint8Array): void {
    this.addon.fanoutProgram(this.fd, prog);
  }

  /** A socket filter (L2 offsets); null removes it. */
  attachFilter(prog: Uint8Array | null): void {
    this.addon.attachFilter(this.fd, prog);
  }

  /** Leaves the interface (and any fanout group) now; the arena stays mapped until collected. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.addon.close(this.fd);
  }
}

export interface PortSpec {
  ifname: string;
  options?: AfPacketOptions;
}

/**
 * One worker's ports: socket i is engine port i. All rings and scratch areas share ONE arena, so
 * a frame received on one port and sent on another moves with copyWithin, never through a
 * temporary view.
 */
export class AfPacketPorts implements FrameSink {
  readonly sockets: AfPacketSocket[];
  readonly u8: Uint8Array;
  /** Frames the engine handed to the kernel: the kernel already had them (taps do not steal). */
  kernelFrames = 0;
  /** transmit() to a port number we do not have. */
  badPort = 0;
  private readonly fds: Int32Array;
  private readonly revents: Int32Array;

  private constructor(u8: Uint8Array, sockets: AfPacketSocket[]) {
    this.u8 = u8;
    this.sockets = sockets;
    this.fds = Int32Array.from(sockets, (s) => s.fd);
    this.revents = new Int32Array(sockets.length);
  }

  static open(ports: readonly PortSpec[]): AfPacketPorts {
    const addon = afPacketAddon();
    const page = addon.pageSize;
    const scratch = Math.ceil(RX_SCRATCH_BYTES / page) * page;
    const layout: { ringOff: number; scratchOff: number }[] = [];
    let size = 0;
    for (const p of ports) {
      const g = addon.ringSize(withDefaults(p.options));
      layout.push({ ringOff: size, scratchOff: size + g.rx.bytes + g.tx.bytes });
      size += g.rx.bytes + g.tx.bytes + scratch;
    }
    const u8 = new Uint8Array(addon.arena(size));
    const sockets: AfPacketSocket[] = [];
    try {
      ports.forEach((p, i) => sockets.push(AfPacketSocket.openIn(u8, layout[i]!.ringOff, layout[i]!.scratchOff, p.ifname, p.options)));
    } catch (e) {
      for (const s of sockets) s.close();
      throw e;
    }
    return new AfPacketPorts(u8, sockets);
  }

  transmit(port: number, buf: Uint8Array, off: number, len: number): void {
    const s = this.sockets[port];
    if (s === undefined) this.badPort++;
    else s.send(buf, off, len);
  }

  /**
   * AF_PACKET copies frames to us and lets the kernel's own receive path carry on, so a frame the
   * engine passes up is already in the kernel (the takeover's tc drop must let it through).
   */
  toKernel(_port: number, _buf: Uint8Array, _off: number, _len: number): void {
    this.kernelFrames++;
  }

  /** Kicks every port with queued frames: call once per burst. */
  flush(): void {
    for (const s of this.sockets) s.flush();
  }

  /** Waits for any port to have frames; returns how many are ready (0 on timeout). */
  poll(timeoutMs: number): number {
    return afPacketAddon().poll(this.fds, timeoutMs, this.revents);
  }

  close(): void {
    for (const s of this.sockets) s.close();
  }
}
