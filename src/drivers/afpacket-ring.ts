// The AF_PACKET ring walkers: TPACKET_V2/V3 receive and the send ring, over the shared mapping the
// addon hands us. Pure typed-array code with no native calls; never allocates per packet.

import { csumFold, csumPartial } from '../packet/checksum.js';
import { XMIT_HEADROOM, XMIT_TAILROOM } from '../ipvs/xmit.js';

/*
 * Ring memory, as the kernel lays it out (linux/if_packet.h). All header words are host order.
 *
 * TPACKET_V2: frameNr fixed slots; slot i at (i / perBlock) * blockSize + (i % perBlock) * frameSize.
 *
 *   slot ┌─ tpacket2_hdr ─────────────────────────────────┐        ┌───────────┐
 *        │ +0 tp_status  +4 tp_len  +8 tp_snaplen          │  gap   │ frame ... │
 *        │ +12 tp_mac (u16)  +24 tp_vlan_tci  +26 vlan_tpid│        │           │
 *        └─────────────────────────────────────────────────┘        └───────────┘
 *        ^ the status word is the ownership flag           slot + tp_mac ^
 *          (KERNEL 0 / USER 1): we read after USER, store 0 to hand the slot back
 *
 * TPACKET_V3: blockNr blocks; the kernel fills a block with variable-sized frames and hands the
 * whole block over when it is full or its retire timer fires.
 *
 *   block ┌ block desc ──────────────────────────┐ ┌ tpacket3_hdr ┐        ┌ tpacket3_hdr ┐
 *         │ +8 block_status +12 num_pkts          │ │ +0 next_off ─┼──...──▶│              │
 *         │ +16 offset_to_first_pkt ─────────────┼▶│ +12 snaplen  │ frame  │              │
 *         └───────────────────────────────────────┘ │ +16 len +20 status +24 tp_mac (u16) │
 *                                                   │ +32 vlan_tci +36 vlan_tpid        │
 *
 * With PACKET_VNET_HDR the kernel writes a virtio_net_hdr in the 10 bytes before the frame.
 * Status words are read with Atomics.load and released with Atomics.store: an ordering guarantee
 * for free (pitfall 9); the ring is not a SharedArrayBuffer, which Atomics accepts for Int32Array.
 */

export const TP_STATUS_KERNEL = 0;
export const TP_STATUS_USER = 1;
export const TP_STATUS_LOSING = 1 << 2;
export const TP_STATUS_CSUMNOTREADY = 1 << 3;
export const TP_STATUS_VLAN_VALID = 1 << 4;
export const TP_STATUS_VLAN_TPID_VALID = 1 << 6;
export const TP_STATUS_GSO_TCP = 1 << 8;
export const TP_STATUS_AVAILABLE = 0;
export const TP_STATUS_SEND_REQUEST = 1;

export const VNET_HDR_LEN = 10;
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
const VLAN_HLEN = 4;
const ETH_P_8021Q = 0x8100;

/** Largest frame we take: an IP packet of 64 KiB plus Ethernet and a VLAN tag. */
export const RX_MAX_FRAME = 65536 + 18;
/** Bytes of scratch one receive ring needs: the frame with the engine's headroom and tailroom. */
export const RX_SCRATCH_BYTES = (XMIT_HEADROOM + RX_MAX_FRAME + XMIT_TAILROOM + 63) & ~63;

/** Ring geometry as the addon's open() and ringSize() return it. */
export interface RingGeometry {
  version: number;
  rx: { offset: number; bytes: number; blockSize: number; blockNr: number; frameSize: number; frameNr: number };
  tx: { offset: number; bytes: number; blockSize: number; blockNr: number; frameSize: number; frameNr: number; dataOffset: number };
}

/** Called once per received frame with buf[off, off+len); headroom and tailroom per XMIT_*. */
export type FrameHandler = (buf: Uint8Array, off: number, len: number) => void;

/** Slot offsets of a fixed-slot ring: blocks need not be a whole number of frames. */
function slotOffsets(base: number, blockSize: number, frameSize: number, frameNr: number): Int32Array {
  const perBlock = Math.floor(blockSize / frameSize);
  const t = new Int32Array(frameNr);
  for (let i = 0; i < frameNr; i++) t[i] = base + Math.floor(i / perBlock) * blockSize + (i % perBlock) * frameSize;
  return t;
}

export class RxCounters {
  frames = 0;
  bytes = 0;
  /** Frames cut short by the ring (snaplen < len): dropped, never half-delivered. */
  truncated = 0;
  /** GSO super-frames (from GRO or a veth peer's TSO): dropped; turn the offload off. */
  gso = 0;
  /** CHECKSUM_PARTIAL frames whose checksum we completed from the virtio_net_hdr. */
  csumCompleted = 0;
  /** CHECKSUM_PARTIAL frames we could not complete (no PACKET_VNET_HDR): delivered as they are. */
  csumNotReady = 0;
  /** Blocks/frames the kernel flagged as having lost packets before them (TP_STATUS_LOSING). */
  losing = 0;
}

/**
 * Walks a receive ring. Each frame is COPIED into scratch at XMIT_HEADROOM before the handler
 * sees it, because ring frames give no guaranteed room around them: V3 packs frames back to back
 * (32 bytes of TOA tailroom would overwrite the next frame's header) and V2 leaves less headroom
 * before tp_mac than an IPv6+UDP+GUE encapsulation needs. The copy also lets us hand the slot
 * back at once. It is a copyWithin inside one buffer: 13 ns for 64 bytes, 32 ns for 1500; the
 * whole walk with the copy 23-62 ns a frame (bench/afpacket.bench.ts, npm run bench:afpacket).
 */
export class RxRing {
  readonly counters = new RxCounters();
  private readonly i32: Int32Array;
  private readonly u16: Uint16Array;
  private readonly dv: DataView;
  private readonly slots: Int32Array;
  private readonly v3: boolean;
  private readonly blockBase: number;
  private readonly blockSize: number;
  private readonly blockNr: number;
  /** V2: the next slot; V3: the current block. */
  private head = 0;
  // V3 position inside the current block, so a budget can stop mid-block.
  private inBlock = false;
  private pkt = 0;
  private pktNum = 0;
  private pktOff = 0;
  /** Where the handler's frame starts. */
  readonly frameOff: number;

  constructor(readonly u8: Uint8Array, g: RingGeometry, scratchOff: number, private readonly vnetHdr: boolean) {
    this.i32 = new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2);
    this.u16 = new Uint16Array(u8.buffer, u8.byteOffset, u8.byteLength >> 1);
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.v3 = g.version === 3;
    this.blockBase = g.rx.offset;
    this.blockSize = g.rx.blockSize;
    this.blockNr = g.rx.blockNr;
    this.slots = this.v3 ? new Int32Array(0) : slotOffsets(g.rx.offset, g.rx.blockSize, g.rx.frameSize, g.rx.frameNr);
    if (scratchOff + RX_SCRATCH_BYTES > u8.byteLength) throw new RangeError('afpacket: receive scratch lies outside the buffer');
    this.frameOff = scratchOff + XMIT_HEADROOM;
  }

  /** Delivers up to `budget` frames; returns how many were seen (delivered or dropped). */
  burst(handler: FrameHandler, budget: number): number {
    return this.v3 ? this.burstV3(handler, budget) : this.burstV2(handler, budget);
  }

  /** True when a frame or block is waiting: lets a caller skip poll(). */
  ready(): boolean {
    const word = this.v3 ? this.blockBase + this.head * this.blockSize + 8 : this.slots[this.head]!;
    return this.inBlock || (Atomics.load(this.i32, word >> 2) & TP_STATUS_USER) !== 0;
  }

  private burstV2(handler: FrameHandler, budget: number): number {
    const i32 = this.i32, u16 = this.u16, slots = this.slots;
    let n = 0;
    while (n < budget) {
      const s = slots[this.head]!;
      const status = Atomics.load(i32, s >> 2);
      if ((status & TP_STATUS_USER) === 0) break;
      const len = this.copyFrame(s, u16[(s + 12) >> 1]!, i32[(s + 8) >> 2]!, i32[(s + 4) >> 2]!, status,
        u16[(s + 24) >> 1]!, u16[(s + 26) >> 1]!);
      Atomics.store(i32, s >> 2, TP_STATUS_KERNEL);
      this.head = this.head + 1 === slots.length ? 0 : this.head + 1;
      n++;
      if (len >= 0) handler(this.u8, this.frameOff, len);
    }
    return n;
  }

  private burstV3(handler: FrameHandler, budget: number): number {
    const i32 = this.i32, u16 = this.u16;
    let n = 0;
    while (n < budget) {
      const b = this.blockBase + this.head * this.blockSize;
      if (!this.inBlock) {
        if ((Atomics.load(i32, (b + 8) >> 2) & TP_STATUS_USER) === 0) break;
        this.inBlock = true;
        this.pkt = 0;
        this.pktNum = i32[(b + 12) >> 2]!;
        this.pktOff = b + i32[(b + 16) >> 2]!;
      }
      while (this.pkt < this.pktNum && n < budget) {
        const h = this.pktOff;
        const len = this.copyFrame(h, u16[(h + 24) >> 1]!, i32[(h + 12) >> 2]!, i32[(h + 16) >> 2]!, i32[(h + 20) >> 2]!,
          i32[(h + 32) >> 2]! & 0xffff, u16[(h + 36) >> 1]!);
        this.pktOff = h + i32[h >> 2]!;
        this.pkt++;
        n++;
        if (len >= 0) handler(this.u8, this.frameOff, len);
      }
      if (this.pkt < this.pktNum) break;
      Atomics.store(i32, (b + 8) >> 2, TP_STATUS_KERNEL);
      this.inBlock = false;
      this.head = this.head + 1 === this.blockNr ? 0 : this.head + 1;
    }
    return n;
  }

  /**
   * Copies the frame at hdr + mac into scratch, putting back a VLAN tag the kernel moved into the
   * header (the frame then reads as it was on the wire) and completing a CHECKSUM_PARTIAL sum.
   * Returns the length, or -1 for a frame we drop (counted).
   */
  private copyFrame(hdr: number, mac: number, snap: number, wireLen: number, status: number, tci: number, tpid: number): number {
    const c = this.counters;
    if ((status & TP_STATUS_LOSING) !== 0) c.losing++;
    if (snap < wireLen || snap > RX_MAX_FRAME - VLAN_HLEN) {
      c.truncated++;
      return -1;
    }
    const src = hdr + mac;
    let csumStart = -1, csumOffset = 0;
    if (this.vnetHdr) {
      const dv = this.dv, v = src - VNET_HDR_LEN;
      if (dv.getUint8(v + 1) !== 0) {
        c.gso++;
        return -1;
      }
      if ((dv.getUint8(v) & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
        csumStart = dv.getUint16(v + 6, true);
        csumOffset = dv.getUint16(v + 8, true);
      }
    } else if ((status & TP_STATUS_GSO_TCP) !== 0) {
      c.gso++;
      return -1;
    }
    const u8 = this.u8, dst = this.frameOff;
    let len = snap;
    if ((status & TP_STATUS_VLAN_VALID) !== 0) {
      u8.copyWithin(dst, src, src + 12);
      const t = (status & TP_STATUS_VLAN_TPID_VALID) !== 0 && tpid !== 0 ? tpid : ETH_P_8021Q;
      u8[dst + 12] = t >> 8;
      u8[dst + 13] = t & 0xff;
      u8[dst + 14] = tci >> 8;
      u8[dst + 15] = tci & 0xff;
      u8.copyWithin(dst + 16, src + 12, src + snap);
      len += VLAN_HLEN;
      if (csumStart >= 0) csumStart += VLAN_HLEN;
    } else {
      u8.copyWithin(dst, src, src + snap);
    }
    if (csumStart >= 0 && completeChecksum(u8, dst, len, csumStart, csumOffset)) c.csumCompleted++;
    else if (csumStart >= 0 || (status & TP_STATUS_CSUMNOTREADY) !== 0) c.csumNotReady++;
    c.frames++;
    c.bytes += len;
    return len;
  }
}

/**
 * Finishes a CHECKSUM_PARTIAL frame as the kernel's skb_checksum_help would: the field already
 * holds the pseudo-header sum, so summing from csum_start to the end and folding gives the value.
 */
export function completeChecksum(buf: Uint8Array, off: number, len: number, start: number, field: number): boolean {
  if (start + field + 2 > len) return false;
  const at = off + start + field;
  let v = csumFold(csumPartial(buf, off + start, len - start, 0));
  if (v === 0) v = 0xffff;
  buf[at] = v >> 8;
  buf[at + 1] = v & 0xff;
  return true;
}

/**
 * The send ring: reserve the next slot, write the frame into it, commit (SEND_REQUEST). Frames go
 * out when the owner kicks the socket, once per burst. Slot i is at the same kind of offset as V2.
 */
export class TxRing {
  private readonly i32: Int32Array;
  private readonly slots: Int32Array;
  private readonly statusAt: number;
  private readonly lenAt: number;
  private readonly dataAt: number;
  private head = 0;
  /** Frames committed since the last kick. */
  pending = 0;
  /** Largest frame a slot holds. */
  readonly maxLen: number;

  constructor(readonly u8: Uint8Array, g: RingGeometry, private readonly vnetHdr: boolean) {
    this.i32 = new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength >> 2);
    this.slots = slotOffsets(g.tx.offset, g.tx.blockSize, g.tx.frameSize, g.tx.frameNr);
    // tpacket2_hdr: status +0, len +4. tpacket3_hdr: len +16, status +20 (tp_next_offset stays 0).
    this.statusAt = g.version === 3 ? 20 : 0;
    this.lenAt = g.version === 3 ? 16 : 4;
    this.dataAt = g.tx.dataOffset + (vnetHdr ? VNET_HDR_LEN : 0);
    this.maxLen = g.tx.frameSize - this.dataAt;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Slots the kernel still holds (queued or in flight). A scan: for draining, not per packet. */
  busy(): number {
    let n = 0;
    for (let i = 0; i < this.slots.length; i++) if (Atomics.load(this.i32, (this.slots[i]! + this.statusAt) >> 2) !== TP_STATUS_AVAILABLE) n++;
    return n;
  }

  /** Offset in u8 where the next frame goes, or -1 while the kernel still owns the slot. */
  reserve(): number {
    const s = this.slots[this.head]!;
    if (Atomics.load(this.i32, (s + this.statusAt) >> 2) !== TP_STATUS_AVAILABLE) return -1;
    return s + this.dataAt;
  }

  /** Hands the reserved slot, now holding `len` bytes, to the kernel. */
  commit(len: number): void {
    const s = this.slots[this.head]!;
    let wire = len;
    if (this.vnetHdr) {
      // A zeroed virtio_net_hdr: no GSO, no checksum offload; our checksums are already complete.
      this.u8.fill(0, s + this.dataAt - VNET_HDR_LEN, s + this.dataAt);
      wire += VNET_HDR_LEN;
    }
    this.i32[(s + this.lenAt) >> 2] = wire;
    Atomics.store(this.i32, (s + this.statusAt) >> 2, TP_STATUS_SEND_REQUEST);
    this.head = this.head + 1 === this.slots.length ? 0 : this.head + 1;
    this.pending++;
  }
}
