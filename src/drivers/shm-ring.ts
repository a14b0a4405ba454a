// A single-producer single-consumer frame ring in a SharedArrayBuffer, so two threads exchange
// frames without a postMessage per packet. Slots have ring-style headroom, like AF_PACKET frames.

import { XMIT_HEADROOM, XMIT_TAILROOM } from '../ipvs/xmit.js';

/*
 * Layout of one ring (all offsets in bytes):
 *
 *   0            HEADER_BYTES                 + slotSize         + slotSize ...
 *   | head tail drops . |  meta | headroom | frame ... | tailroom |  meta | ...
 *
 *   head  (Int32 0): frames produced so far; written by the producer only (Atomics.store, then notify)
 *   tail  (Int32 1): frames consumed so far; written by the consumer only
 *   drops (Int32 2): frames the producer dropped because the ring was full
 *   meta  (8 bytes per slot): u16 port, u16 flags (bit 0: to the kernel), u32 frame length
 *
 * Counters wrap at 2^32 in Int32 arithmetic; `(head - tail) | 0` is the fill level and
 * `index & (slots - 1)` the slot, which stays right across the wrap because slots is a power of two.
 */
const HEAD = 0;
const TAIL = 1;
const DROPS = 2;
const HEADER_BYTES = 64;
const META = 8;
export const SLOT_KERNEL = 1;

export interface RingShape {
  /** Slots, a power of two. */
  readonly slots: number;
  /** Largest frame a slot holds. */
  readonly frameSize: number;
}

export function createRing(shape: RingShape): SharedArrayBuffer {
  if (shape.slots < 2 || (shape.slots & (shape.slots - 1)) !== 0) throw new RangeError(`ring slots must be a power of two, got ${shape.slots}`);
  return new SharedArrayBuffer(HEADER_BYTES + shape.slots * slotBytes(shape.frameSize));
}

function slotBytes(frameSize: number): number {
  // Rounded to 64 so each slot starts on a cache line.
  return (META + XMIT_HEADROOM + frameSize + XMIT_TAILROOM + 63) & ~63;
}

/** One end of a ring: the producer uses push/publish, the consumer peek/release. */
export class ShmRing {
  readonly hdr: Int32Array;
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private readonly mask: number;
  private readonly slot: number;
  /** Producer: next index to fill (published by publish()). Consumer: next index to read. */
  private local: number;

  constructor(readonly sab: SharedArrayBuffer, readonly shape: RingShape, role: 'producer' | 'consumer') {
    this.hdr = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(sab);
    this.dv = new DataView(sab);
    this.mask = shape.slots - 1;
    this.slot = slotBytes(shape.frameSize);
    // A restarted worker resumes where its predecessor stopped: the indices live in the ring.
    this.local = Atomics.load(this.hdr, role === 'producer' ? HEAD : TAIL);
  }

  // ---------------------------------------------------------------- producer

  /** Copies a frame into the next slot; false (and counted) when the ring is full or it is too big. */
  push(port: number, flags: number, buf: Uint8Array, off: number, len: number): boolean {
    if (((this.local - Atomics.load(this.hdr, TAIL)) | 0) >= this.shape.slots || len > this.shape.frameSize) {
      Atomics.add(this.hdr, DROPS, 1);
      return false;
    }
    const at = HEADER_BYTES + (this.local & this.mask) * this.slot;
    this.dv.setUint16(at, port);
    this.dv.setUint16(at + 2, flags);
    this.dv.setUint32(at + 4, len);
    this.bytes.set(buf.subarray(off, off + len), at + META + XMIT_HEADROOM);
    this.local = (this.local + 1) | 0;
    return true;
  }

  /** Makes pushed frames visible and wakes a consumer blocked in waitFor(). */
  publish(): void {
    if (Atomics.load(this.hdr, HEAD) === this.local) return;
    Atomics.store(this.hdr, HEAD, this.local);
    Atomics.notify(this.hdr, HEAD);
  }

  drops(): number {
    return Atomics.load(this.hdr, DROPS);
  }

  // ---------------------------------------------------------------- consumer

  /** Frames waiting. */
  available(): number {
    return (Atomics.load(this.hdr, HEAD) - this.local) | 0;
  }

  /** Byte offset of the k-th waiting slot (k < available()). */
  slotAt(k: number): number {
    return HEADER_BYTES + ((this.local + k) & this.mask) * this.slot;
  }

  port(at: number): number { return this.dv.getUint16(at); }
  flags(at: number): number { return this.dv.getUint16(at + 2); }
  length(at: number): number { return this.dv.getUint32(at + 4); }
  frameOff(at: number): number { return at + META + XMIT_HEADROOM; }

  /** Hands n slots back to the producer. */
  release(n: number): void {
    this.local = (this.local + n) | 0;
    Atomics.store(this.hdr, TAIL, this.local);
  }

  /** Blocks (worker threads only) until the producer publishes past what we have read, or timeout. */
  waitFor(timeoutMs: number): void {
    Atomics.wait(this.hdr, HEAD, this.local, timeoutMs);
  }

  /** Wakes a consumer blocked in waitFor() without producing anything. */
  static wake(sab: SharedArrayBuffer): void {
    Atomics.notify(new Int32Array(sab, 0, 1), HEAD);
  }
}
