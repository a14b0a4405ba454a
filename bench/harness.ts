// The benchmark's measuring tools: an RX ring fed from a store of pristine frames, a sink that
// only counts, run timing with a GC count, and medians. Shared by every phase of engine.bench.

import { PerformanceObserver } from 'node:perf_hooks';
import type { FrameSink } from '../src/netif/stack.js';
import { XMIT_HEADROOM, XMIT_TAILROOM } from '../src/ipvs/xmit.js';

/** RX ring like a NIC's: 1024 descriptors, each slot with the engine's headroom and tailroom. */
export const RING_SLOTS = 1024;
export const SLOT_BYTES = 256;
/** Frames handed over per call, as a driver's rx burst; the engine's timer runs once per burst. */
export const BURST = 32;

/** Counts what the engine sends, and remembers where the last frame was, without copying it. */
export class CountingSink implements FrameSink {
  tx = 0;
  kernel = 0;
  lastBuf: Uint8Array = new Uint8Array(0);
  lastOff = 0;
  lastLen = 0;
  lastPort = -1;

  transmit(port: number, buf: Uint8Array, off: number, len: number): void {
    this.tx++;
    this.lastBuf = buf;
    this.lastOff = off;
    this.lastLen = len;
    this.lastPort = port;
  }

  toKernel(): void {
    this.kernel++;
  }
}

/** What the loop drives: the engine, or the floor forwarder measured beside it. */
export interface Receiver {
  input(port: number, buf: Uint8Array, off: number, len: number): void;
  tick(nowMs: number): void;
}

/**
 * `count` pristine frames of `len` bytes, `stride` apart, after an RX ring in the same buffer, so
 * refilling a ring slot is one copyWithin (a memmove), the closest JS gets to a NIC's DMA.
 */
export class FrameStore {
  readonly mem: Uint8Array;
  readonly base = RING_SLOTS * SLOT_BYTES;
  /** Next pristine frame to feed and next ring slot to fill. */
  next = 0;
  slot = 0;

  constructor(readonly count: number, readonly len: number, readonly stride: number) {
    if (XMIT_HEADROOM + len + XMIT_TAILROOM > SLOT_BYTES) throw new Error(`frame of ${len} bytes does not fit a ring slot`);
    this.mem = new Uint8Array(this.base + count * stride);
  }

  frameOff(k: number): number {
    return this.base + k * this.stride;
  }
}

/**
 * One RX burst: copies the next `n` pristine frames into ring slots and gives each to `rx`
 * (rx null: the copy alone, to measure what the refill costs).
 */
function rxBurst(rx: Receiver | null, port: number, fs: FrameStore, n: number): void {
  const mem = fs.mem;
  const len = fs.len;
  let k = fs.next;
  let slot = fs.slot;
  for (let j = 0; j < n; j++) {
    const src = fs.base + k * fs.stride;
    const dst = slot * SLOT_BYTES + XMIT_HEADROOM;
    mem.copyWithin(dst, src, src + len);
    if (rx !== null) rx.input(port, mem, dst, len);
    if (++k === fs.count) k = 0;
    slot = (slot + 1) & (RING_SLOTS - 1);
  }
  fs.next = k;
  fs.slot = slot;
}

/** Feeds `packets` frames (a multiple of BURST) and returns ns per packet. */
export function feed(rx: Receiver | null, port: number, fs: FrameStore, packets: number, nowMs: number): number {
  const t0 = process.hrtime.bigint();
  for (let n = 0; n < packets; n += BURST) {
    rxBurst(rx, port, fs, BURST);
    if (rx !== null) rx.tick(nowMs);
  }
  return Number(process.hrtime.bigint() - t0) / packets;
}

/** Feeds exactly one frame (for checking outputs one by one). */
export function feedOne(rx: Receiver, port: number, fs: FrameStore): void {
  rxBurst(rx, port, fs, 1);
}

let gcs = 0;
new PerformanceObserver((list) => { gcs += list.getEntries().length; }).observe({ entryTypes: ['gc'] });

/**
 * GC events so far. Node reports a GC to observers two event-loop turns after it happened (the
 * native callback, then the observer's dispatch), so this waits for stragglers first.
 */
export async function gcCount(): Promise<number> {
  for (let k = 0; k < 4; k++) await new Promise((r) => setTimeout(r, 5));
  return gcs;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A seeded permutation of 0..n-1 (Fisher-Yates over xorshift32), the same in every process. */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  let x = seed | 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Calls global.gc when the process runs with --expose-gc (the phases do). */
export function collect(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) { g(); g(); }
}
