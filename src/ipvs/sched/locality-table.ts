// The destination-IP table of lblc/lblcr: 1024 buckets over a fixed entry pool, with the kernel's
// periodic garbage collection replayed from the engine clock. Never allocates after construction.

import { foldAddr, hash32 } from './addr-hash.js';

/** CONFIG_IP_VS_LBLC_TAB_BITS / CONFIG_IP_VS_LBLCR_TAB_BITS default to 10. */
export const LOCALITY_TAB_BITS = 10;
const TAB_SIZE = 1 << LOCALITY_TAB_BITS;
const TAB_MASK = TAB_SIZE - 1;
/** tbl->max_size: past this many entries the timer starts collecting idle ones. */
export const LOCALITY_MAX_SIZE = TAB_SIZE * 16;
/** CHECK_EXPIRE_INTERVAL: the collection timer period. */
export const CHECK_EXPIRE_INTERVAL_MS = 60_000;
/** ENTRY_TIMEOUT: idle time after which an entry may go when the table is over max_size. */
export const ENTRY_TIMEOUT_MS = 6 * 60_000;
/** DEFAULT_EXPIRATION: the lblc_expiration / lblcr_expiration sysctls' default, 24 hours. */
export const DEFAULT_EXPIRATION_MS = 24 * 60 * 60_000;
/** Every 30th timer run (half an hour) without over-size collection is a full expiry check. */
const COUNT_FOR_FULL_EXPIRATION = 30;
/**
 * The kernel kmallocs entries and only collects them from the timer. We preallocate a pool
 * twice max_size; a full pool fails the insert like a failed kmalloc does: the scheduler
 * still answers, it just does not remember.
 */
export const DEFAULT_LOCALITY_CAPACITY = 2 * LOCALITY_MAX_SIZE;

/**
 *   bucketHead[hash_32(fold(daddr), 10)] ─► entry ─next─► entry ─next─► -1
 *   free ─next─► entry ─next─► ... (unused pool slots)
 *
 * Entries are pool indices; the owner keeps what an entry maps to in arrays of its own, sized
 * `capacity`, and is told through `onRemove` when the timer collects one.
 */
export class LocalityTable {
  readonly capacity: number;
  /** sysctl lblc_expiration / lblcr_expiration. */
  expirationMs = DEFAULT_EXPIRATION_MS;
  /**
   * The kernel's tbl->entries. It decides when over-size collection runs. lblc's replacement
   * of an entry's dest bumps it without a matching decrement (ip_vs_lblc_new deletes the old
   * entry without atomic_dec), so it may exceed `live`; owners adjust it where the kernel does.
   */
  entries = 0;
  /** Entries actually in the table. */
  live = 0;
  readonly lastUse: Float64Array;
  private readonly af: Uint8Array;
  private readonly addr: Uint32Array;
  private readonly next: Int32Array;
  private readonly bucketHead = new Int32Array(TAB_SIZE).fill(-1);
  private free = 0;
  private rover = 0;
  private counter = 1;
  /** When the collection timer fires next; -1 until the first lookup arms it. */
  private nextTickMs = -1;
  private readonly onRemove: (entry: number) => void;

  constructor(capacity: number, onRemove: (entry: number) => void) {
    this.capacity = capacity;
    this.onRemove = onRemove;
    this.lastUse = new Float64Array(capacity);
    this.af = new Uint8Array(capacity);
    this.addr = new Uint32Array(capacity * 4);
    this.next = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.next[i] = i + 1 < capacity ? i + 1 : -1;
    if (capacity === 0) this.free = -1;
  }

  /** ip_vs_lblc_get(): the entry for this destination address, or -1. */
  find(af: 4 | 6, w0: number, w1: number, w2: number, w3: number): number {
    let e = this.bucketHead[bucketOf(af, w0, w1, w2, w3)];
    for (; e >= 0; e = this.next[e]) {
      const a = e * 4;
      if (
        this.af[e] === af &&
        this.addr[a] === w0 >>> 0 &&
        (af === 4 || (this.addr[a + 1] === w1 >>> 0 && this.addr[a + 2] === w2 >>> 0 && this.addr[a + 3] === w3 >>> 0))
      ) {
        return e;
      }
    }
    return -1;
  }

  /** A new entry at the head of its bucket (hlist_add_head), used now; -1 when the pool is full. */
  insert(af: 4 | 6, w0: number, w1: number, w2: number, w3: number, nowMs: number): number {
    const e = this.free;
    if (e < 0) return -1;
    this.free = this.next[e];
    const a = e * 4;
    this.af[e] = af;
    this.addr[a] = w0;
    this.addr[a + 1] = af === 6 ? w1 : 0;
    this.addr[a + 2] = af === 6 ? w2 : 0;
    this.addr[a + 3] = af === 6 ? w3 : 0;
    this.lastUse[e] = nowMs;
    const b = bucketOf(af, w0, w1, w2, w3);
    this.next[e] = this.bucketHead[b];
    this.bucketHead[b] = e;
    this.entries++;
    this.live++;
    return e;
  }

  /**
   * Runs the collection timers that fell due up to `nowMs`, each at its own time, as the
   * kernel's ip_vs_lblc_check_expire() would have. The first call arms the timer (the kernel
   * arms it when the service is created; we have no clock before the first packet).
   */
  runTimers(nowMs: number): void {
    if (this.nextTickMs < 0) {
      this.nextTickMs = nowMs + CHECK_EXPIRE_INTERVAL_MS;
      return;
    }
    while (nowMs >= this.nextTickMs) {
      if (this.live === 0) {
        // Nothing to collect: runs only move the counter through its 30-step cycle.
        const k = Math.floor((nowMs - this.nextTickMs) / CHECK_EXPIRE_INTERVAL_MS) + 1;
        if (this.entries <= LOCALITY_MAX_SIZE) {
          this.counter = ((this.counter - 1 + k) % COUNT_FOR_FULL_EXPIRATION) + 1;
        } else if (this.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
          // One full check, then over-size runs that find nothing and leave the counter be.
          this.counter = 1;
        }
        this.nextTickMs += k * CHECK_EXPIRE_INTERVAL_MS;
        return;
      }
      this.checkExpire(this.nextTickMs);
      this.nextTickMs += CHECK_EXPIRE_INTERVAL_MS;
    }
  }

  private checkExpire(now: number): void {
    if (this.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      // Full check: drop whatever has not been used for the expiration time.
      this.collect(now, this.expirationMs, Number.POSITIVE_INFINITY);
      this.counter = 1;
      return;
    }
    if (this.entries <= LOCALITY_MAX_SIZE) {
      this.counter++;
      return;
    }
    // Over size: drop entries idle for ENTRY_TIMEOUT, a third more than the excess but at most
    // half of max_size, resuming where the last sweep stopped.
    let goal = Math.trunc(((this.entries - LOCALITY_MAX_SIZE) * 4) / 3);
    if (goal > LOCALITY_MAX_SIZE / 2) goal = LOCALITY_MAX_SIZE / 2;
    this.collect(now, ENTRY_TIMEOUT_MS, goal);
  }

  /**
   * Sweeps the buckets after the rover, deleting entries with now >= lastUse + idleMs, and
   * stops after the bucket in which `goal` deletions were reached, or after one lap.
   */
  private collect(now: number, idleMs: number, goal: number): void {
    let j = this.rover;
    for (let i = 0; i < TAB_SIZE; i++) {
      j = (j + 1) & TAB_MASK;
      let prev = -1;
      let e = this.bucketHead[j];
      while (e >= 0) {
        const after = this.next[e];
        if (now < this.lastUse[e] + idleMs) {
          prev = e;
        } else {
          if (prev < 0) this.bucketHead[j] = after;
          else this.next[prev] = after;
          this.next[e] = this.free;
          this.free = e;
          this.live--;
          this.entries--;
          goal--;
          this.onRemove(e);
        }
        e = after;
      }
      if (goal <= 0) break;
    }
    this.rover = j;
  }
}

function bucketOf(af: 4 | 6, w0: number, w1: number, w2: number, w3: number): number {
  return hash32(foldAddr(af, w0, w1, w2, w3), LOCALITY_TAB_BITS);
}
