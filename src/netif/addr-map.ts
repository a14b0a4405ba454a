// A map from IP address (as words) to a value, with allocation-free lookups for the data plane.
// IPv4 keys are the address itself as an int32 (a small integer: no heap number is boxed to look it
// up); IPv6 keys hash the four words into small verified buckets. Words may be given signed or unsigned.

import type { IpAddr } from '../packet/inet.js';

/** Address words stored as int32. */
interface Bucket6<T> { w0: number; w1: number; w2: number; w3: number; value: T }

function hash6(w0: number, w1: number, w2: number, w3: number): number {
  return Math.imul(w0 ^ (w1 >>> 3), 0x9e3779b1) ^ Math.imul(w2 ^ (w3 << 7), 0x85ebca6b) ^ w3;
}

export class AddrMap<T> {
  private readonly m4 = new Map<number, T>();
  private readonly m6 = new Map<number, Bucket6<T>[]>();
  private n6 = 0;

  get size(): number {
    return this.m4.size + this.n6;
  }

  get4(w0: number): T | undefined {
    return this.m4.get(w0 | 0);
  }

  get6(w0: number, w1: number, w2: number, w3: number): T | undefined {
    const b = this.m6.get(hash6(w0, w1, w2, w3));
    if (b === undefined) return undefined;
    for (let i = 0; i < b.length; i++) {
      const e = b[i]!;
      if (e.w0 === (w0 | 0) && e.w1 === (w1 | 0) && e.w2 === (w2 | 0) && e.w3 === (w3 | 0)) return e.value;
    }
    return undefined;
  }

  getW(af: number, w0: number, w1: number, w2: number, w3: number): T | undefined {
    return af === 4 ? this.m4.get(w0 | 0) : this.get6(w0, w1, w2, w3);
  }

  get(a: IpAddr): T | undefined {
    return this.getW(a.af, a.w0, a.w1, a.w2, a.w3);
  }

  set(a: IpAddr, value: T): void {
    if (a.af === 4) {
      this.m4.set(a.w0 | 0, value);
      return;
    }
    const h = hash6(a.w0, a.w1, a.w2, a.w3);
    let b = this.m6.get(h);
    if (b === undefined) this.m6.set(h, (b = []));
    for (const e of b) {
      if (e.w0 === (a.w0 | 0) && e.w1 === (a.w1 | 0) && e.w2 === (a.w2 | 0) && e.w3 === (a.w3 | 0)) {
        e.value = value;
        return;
      }
    }
    b.push({ w0: a.w0 | 0, w1: a.w1 | 0, w2: a.w2 | 0, w3: a.w3 | 0, value });
    this.n6++;
  }

  delete(a: IpAddr): boolean {
    if (a.af === 4) return this.m4.delete(a.w0 | 0);
    const h = hash6(a.w0, a.w1, a.w2, a.w3);
    const b = this.m6.get(h);
    if (b === undefined) return false;
    const i = b.findIndex((e) => e.w0 === (a.w0 | 0) && e.w1 === (a.w1 | 0) && e.w2 === (a.w2 | 0) && e.w3 === (a.w3 | 0));
    if (i < 0) return false;
    b.splice(i, 1);
    if (b.length === 0) this.m6.delete(h);
    this.n6--;
    return true;
  }

  *values(): IterableIterator<T> {
    yield* this.m4.values();
    for (const b of this.m6.values()) for (const e of b) yield e.value;
  }
}
