// The memory driver: frames in from byte arrays, frames out into lists. Tests and replay use it
// to drive an engine without a NIC; it honours the headroom/tailroom contract of real rings.

import type { FrameSink } from '../netif/stack.js';
import { XMIT_HEADROOM, XMIT_TAILROOM } from '../ipvs/xmit.js';

export interface SentFrame {
  readonly port: number;
  readonly data: Uint8Array;
  /** Sent up to the kernel (DPVS's KNI) rather than out of the port. */
  readonly kernel: boolean;
}

/** Collects every frame the engine sends, copied (the engine reuses its buffers). */
export class MemorySink implements FrameSink {
  frames: SentFrame[] = [];
  onFrame: ((f: SentFrame) => void) | null = null;

  transmit(port: number, buf: Uint8Array, off: number, len: number): void {
    this.push({ port, data: buf.slice(off, off + len), kernel: false });
  }

  toKernel(port: number, buf: Uint8Array, off: number, len: number): void {
    this.push({ port, data: buf.slice(off, off + len), kernel: true });
  }

  private push(f: SentFrame): void {
    if (this.onFrame) this.onFrame(f);
    else this.frames.push(f);
  }

  take(): SentFrame[] {
    const f = this.frames;
    this.frames = [];
    return f;
  }
}

/**
 * A receive buffer with the headroom and tailroom the engine may use: frames are copied in at
 * XMIT_HEADROOM, as a ring slot would hold them.
 */
export class RxBuffer {
  readonly buf = new Uint8Array(XMIT_HEADROOM + 65536 + XMIT_TAILROOM);
  readonly off = XMIT_HEADROOM;

  load(frame: Uint8Array): number {
    this.buf.set(frame, this.off);
    return frame.length;
  }
}

/** A settable clock: replay sets it from capture timestamps, tests step it by hand. */
export class ManualClock {
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
}
