// The memory driver across threads: per worker an RX ring (a test thread injects frames) and a
// TX ring (the test reads what the worker sent), both SharedArrayBuffers. No NIC, no postMessage.

import type { DriverHost, DriverInit, PortDriver, RxHandler } from './driver.js';
import { type RingShape, SLOT_KERNEL, ShmRing, createRing } from './shm-ring.js';

export const MEMORY_DRIVER = 'memory';

export interface MemoryDriverInit extends DriverInit {
  readonly driver: typeof MEMORY_DRIVER;
  readonly rx: SharedArrayBuffer;
  readonly tx: SharedArrayBuffer;
  readonly shape: RingShape;
}

/** A frame a worker sent, copied out of its TX ring. */
export interface TxFrame {
  readonly port: number;
  /** Sent up to the kernel (DPVS's KNI) rather than out of the port. */
  readonly kernel: boolean;
  readonly data: Uint8Array;
}

/** The main (test) thread's side: owns every worker's rings, injects RX, drains TX. */
export class MemoryRingHost implements DriverHost {
  readonly name = MEMORY_DRIVER;
  private readonly rx: { sab: SharedArrayBuffer; ring: ShmRing }[] = [];
  private readonly tx: { sab: SharedArrayBuffer; ring: ShmRing }[] = [];

  constructor(workers: number, readonly shape: RingShape = { slots: 1024, frameSize: 2048 }) {
    for (let i = 0; i < workers; i++) {
      const rx = createRing(shape);
      const tx = createRing(shape);
      this.rx.push({ sab: rx, ring: new ShmRing(rx, shape, 'producer') });
      this.tx.push({ sab: tx, ring: new ShmRing(tx, shape, 'consumer') });
    }
  }

  workerInit(index: number): MemoryDriverInit {
    return { driver: MEMORY_DRIVER, rx: this.rx[index]!.sab, tx: this.tx[index]!.sab, shape: this.shape };
  }

  wake(index: number): void {
    ShmRing.wake(this.rx[index]!.sab);
  }

  /** Puts a frame on worker `index`'s RX queue as if it arrived on `port`. False when the ring is full. */
  inject(index: number, port: number, frame: Uint8Array): boolean {
    const r = this.rx[index]!.ring;
    const ok = r.push(port, 0, frame, 0, frame.length);
    r.publish();
    return ok;
  }

  /** Everything worker `index` has sent so far (and flushed), oldest first. */
  takeTx(index: number): TxFrame[] {
    const r = this.tx[index]!.ring;
    const n = r.available();
    const out: TxFrame[] = [];
    for (let k = 0; k < n; k++) {
      const at = r.slotAt(k);
      const off = r.frameOff(at);
      out.push({ port: r.port(at), kernel: (r.flags(at) & SLOT_KERNEL) !== 0, data: r.bytes.slice(off, off + r.length(at)) });
    }
    r.release(n);
    return out;
  }

  close(): void {
    // Nothing to release: the rings are garbage-collected with the last thread holding them.
  }
}

/** A worker's side: frames are processed in place in RX slots, copied into TX slots. */
export class MemoryPortDriver implements PortDriver {
  private readonly rx: ShmRing;
  private readonly tx: ShmRing;

  constructor(init: MemoryDriverInit) {
    this.rx = new ShmRing(init.rx, init.shape, 'consumer');
    this.tx = new ShmRing(init.tx, init.shape, 'producer');
  }

  rxBurst(handler: RxHandler, max: number): number {
    const rx = this.rx;
    const n = Math.min(rx.available(), max);
    for (let k = 0; k < n; k++) {
      const at = rx.slotAt(k);
      handler(rx.port(at), rx.bytes, rx.frameOff(at), rx.length(at));
    }
    if (n > 0) rx.release(n);
    return n;
  }

  transmit(port: number, buf: Uint8Array, off: number, len: number): void {
    this.tx.push(port, 0, buf, off, len);
  }

  toKernel(port: number, buf: Uint8Array, off: number, len: number): void {
    this.tx.push(port, SLOT_KERNEL, buf, off, len);
  }

  flush(): void {
    this.tx.publish();
  }

  wait(timeoutMs: number): void {
    this.rx.waitFor(timeoutMs);
  }

  txDrops(): number {
    return this.tx.drops();
  }

  close(): void {
    this.flush();
  }
}
