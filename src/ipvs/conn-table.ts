// The connection table: struct-of-arrays connection records plus one open-addressing hash with
// an entry per direction, and a timing wheel for expiry. Never allocates after construction.
//
//   slot i (one connection)                    hash (linear probing, load <= 1/2)
//   +--------------------------------------+   +---------+-------------------+
//   | flags proto state method             |   | hashes  | ent = i<<1 | dir  |
//   | addr[i*4..+3] = caddr vaddr laddr daddr   +---------+-------------------+
//   | port[i*4..+3] = cport vport lport dport   dir 0: (proto, caddr:cport -> vaddr:vport)
//   | dest ctl expires timeout wheel links |   dir 1: (proto, daddr:dport -> laddr:lport)
//   +--------------------------------------+
//
// IPv4 addresses live inline as one word each. A connection with any IPv6 side (IPv6 or NAT64)
// keeps all four addresses as 16-byte words in a side store, and addr[i*4] holds its index
// there: that keeps an IPv4 connection well under 128 bytes.

export const CONN_F_USED = 0x0001;
export const CONN_F_TEMPLATE = 0x0002;
export const CONN_F_INACTIVE = 0x0004;
/** Addresses are in the IPv6 side store. */
export const CONN_F_V6 = 0x0008;
/** The client side is IPv6 (with CONN_F_V6 and not this: a pure IPv4 conn never has the bit). */
export const CONN_F_IN_V6 = 0x0010;
/** The real-server side is IPv6. */
export const CONN_F_OUT_V6 = 0x0020;
/** No reply tuple is hashed: DR and tunnel replies never come back through us. */
export const CONN_F_NO_OUT = 0x0040;
/** FullNAT: the RS's SYN-ACK was seen, so fdataSeq is valid. */
export const CONN_F_FDATA = 0x0080;
/** FullNAT: the client's ISN was seen and the sequence delta fixed. */
export const CONN_F_SEQ_INIT = 0x0100;
/** One-packet scheduling: expire right after the first packet. */
export const CONN_F_ONE_PACKET = 0x0200;
export const CONN_F_EXPIRE_QUIESCENT = 0x0400;

const EMPTY = -1;
const WHEEL_SLOTS = 4096;
/** Wheel granularity: expiry is checked to within this many milliseconds. */
export const WHEEL_TICK_MS = 100;

export class ConnTable {
  readonly capacity: number;
  readonly flags: Uint16Array;
  readonly proto: Uint8Array;
  readonly state: Uint8Array;
  readonly method: Uint8Array;
  /** caddr, vaddr, laddr, daddr (IPv4 words, or the v6 store index in [i*4]). */
  readonly addr: Uint32Array;
  /** cport, vport, lport, dport. */
  readonly port: Uint16Array;
  readonly dest: Int32Array;
  /** The persistence template controlling this conn, or -1; for templates: controlled count. */
  readonly ctl: Int32Array;
  readonly expires: Float64Array;
  /** Current timeout in seconds, refreshed into `expires` on every packet. */
  readonly timeout: Uint32Array;
  /** FullNAT: sequence delta added to client->RS sequence numbers. */
  readonly seqDelta: Uint32Array;
  /** FullNAT: the RS's ISN + 1; a client segment acking it still lacks the TOA. */
  readonly fdataSeq: Uint32Array;
  /** Next-hop cache per direction: neighbour index, and netif generation it was taken in. */
  readonly nhIn: Int32Array;
  readonly nhOut: Int32Array;
  readonly nhGen: Uint32Array;
  /** Path MTU per direction, taken with the next-hop cache. */
  readonly mtuIn: Uint16Array;
  readonly mtuOut: Uint16Array;
  /** Wheel links. */
  private readonly wNext: Int32Array;
  private readonly wPrev: Int32Array;
  private readonly wheel: Int32Array;
  private wheelTime = 0;
  private readonly free: Int32Array;
  private freeTop: number;
  /** IPv6 side store: 16 words per conn that has one. */
  addr6: Uint32Array;
  private free6: Int32Array;
  private free6Top: number;
  private cap6: number;
  private readonly hashMask: number;
  private readonly hEnt: Int32Array;
  private readonly hHash: Uint32Array;
  count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.flags = new Uint16Array(capacity);
    this.proto = new Uint8Array(capacity);
    this.state = new Uint8Array(capacity);
    this.method = new Uint8Array(capacity);
    this.addr = new Uint32Array(capacity * 4);
    this.port = new Uint16Array(capacity * 4);
    this.dest = new Int32Array(capacity);
    this.ctl = new Int32Array(capacity);
    this.expires = new Float64Array(capacity);
    this.timeout = new Uint32Array(capacity);
    this.seqDelta = new Uint32Array(capacity);
    this.fdataSeq = new Uint32Array(capacity);
    this.nhIn = new Int32Array(capacity);
    this.nhOut = new Int32Array(capacity);
    this.nhGen = new Uint32Array(capacity);
    this.mtuIn = new Uint16Array(capacity);
    this.mtuOut = new Uint16Array(capacity);
    this.wNext = new Int32Array(capacity);
    this.wPrev = new Int32Array(capacity);
    this.wheel = new Int32Array(WHEEL_SLOTS).fill(EMPTY);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
    this.cap6 = 0;
    this.addr6 = new Uint32Array(0);
    this.free6 = new Int32Array(0);
    this.free6Top = 0;
    let h = 16;
    while (h < capacity * 4) h *= 2;
    this.hashMask = h - 1;
    this.hEnt = new Int32Array(h).fill(EMPTY);
    this.hHash = new Uint32Array(h);
  }

  /** Bytes held per connection slot, for the benchmark's memory figures. */
  static bytesPerSlot(): number {
    return 2 + 1 + 1 + 1 + 16 + 8 + 4 + 4 + 8 + 4 + 4 + 4 + 4 + 4 + 4 + 2 + 2 + 4 + 4 + 4 * 8;
  }

  // ---------------------------------------------------------------- allocation

  /** Takes a free slot, or -1 when the table is full. The caller fills every field. */
  alloc(v6: boolean): number {
    if (this.freeTop === 0) return -1;
    const i = this.free[--this.freeTop]!;
    this.flags[i] = CONN_F_USED;
    this.ctl[i] = -1;
    this.nhIn[i] = -1;
    this.nhOut[i] = -1;
    this.nhGen[i] = 0;
    this.seqDelta[i] = 0;
    this.fdataSeq[i] = 0;
    if (v6) {
      const k = this.alloc6();
      this.addr[i * 4] = k;
      this.flags[i] = CONN_F_USED | CONN_F_V6;
    }
    this.count++;
    return i;
  }

  private alloc6(): number {
    if (this.free6Top === 0) {
      // Growth happens only on the new-connection path and doubles, so it amortises away.
      const ncap = Math.max(64, this.cap6 * 2);
      const a = new Uint32Array(ncap * 16);
      a.set(this.addr6);
      this.addr6 = a;
      const f = new Int32Array(ncap);
      for (let k = 0; k < ncap - this.cap6; k++) f[k] = ncap - 1 - k;
      this.free6 = f;
      this.free6Top = ncap - this.cap6;
      this.cap6 = ncap;
    }
    return this.free6[--this.free6Top]!;
  }

  /** Releases the slot: the caller has already unhashed it and unlinked it from the wheel. */
  release(i: number): void {
    if ((this.flags[i]! & CONN_F_V6) !== 0) this.free6[this.free6Top++] = this.addr[i * 4]!;
    this.flags[i] = 0;
    this.free[this.freeTop++] = i;
    this.count--;
  }

  // ---------------------------------------------------------------- address access

  /** Word w (0..3) of address k (0 caddr, 1 vaddr, 2 laddr, 3 daddr) of conn i. */
  addrWord(i: number, k: number, w: number): number {
    if ((this.flags[i]! & CONN_F_V6) === 0) return w === 0 ? this.addr[i * 4 + k]! : 0;
    return this.addr6[this.addr[i * 4]! * 16 + k * 4 + w]!;
  }

  setAddr(i: number, k: number, w0: number, w1: number, w2: number, w3: number): void {
    if ((this.flags[i]! & CONN_F_V6) === 0) {
      this.addr[i * 4 + k] = w0;
      return;
    }
    const b = this.addr[i * 4]! * 16 + k * 4;
    this.addr6[b] = w0;
    this.addr6[b + 1] = w1;
    this.addr6[b + 2] = w2;
    this.addr6[b + 3] = w3;
  }

  // ---------------------------------------------------------------- hashing

  /**
   * Hash of a directed tuple. Mixes each word murmur3-style; IPv4 callers pass zeros for w1..w3.
   */
  static hash(proto: number, s0: number, s1: number, s2: number, s3: number, sport: number,
    d0: number, d1: number, d2: number, d3: number, dport: number): number {
    let h = proto ^ 0x9747b28c;
    h = mix(h, s0); h = mix(h, s1); h = mix(h, s2); h = mix(h, s3);
    h = mix(h, d0); h = mix(h, d1); h = mix(h, d2); h = mix(h, d3);
    h = mix(h, (sport << 16) | dport);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }

  /** Inserts both tuples of conn i (only dir 0 when CONN_F_NO_OUT or a template). */
  hashConn(i: number): void {
    const p = this.proto[i]!;
    const b = i * 4;
    this.insert(ConnTable.hash(p, this.addrWord(i, 0, 0), this.addrWord(i, 0, 1), this.addrWord(i, 0, 2), this.addrWord(i, 0, 3), this.port[b]!,
      this.addrWord(i, 1, 0), this.addrWord(i, 1, 1), this.addrWord(i, 1, 2), this.addrWord(i, 1, 3), this.port[b + 1]!), i << 1);
    if ((this.flags[i]! & (CONN_F_NO_OUT | CONN_F_TEMPLATE)) !== 0) return;
    this.insert(ConnTable.hash(p, this.addrWord(i, 3, 0), this.addrWord(i, 3, 1), this.addrWord(i, 3, 2), this.addrWord(i, 3, 3), this.port[b + 3]!,
      this.addrWord(i, 2, 0), this.addrWord(i, 2, 1), this.addrWord(i, 2, 2), this.addrWord(i, 2, 3), this.port[b + 2]!), (i << 1) | 1);
  }

  unhashConn(i: number): void {
    this.remove(i << 1);
    if ((this.flags[i]! & (CONN_F_NO_OUT | CONN_F_TEMPLATE)) === 0) this.remove((i << 1) | 1);
  }

  private insert(h: number, ent: number): void {
    let j = h & this.hashMask;
    while (this.hEnt[j] !== EMPTY) j = (j + 1) & this.hashMask;
    this.hEnt[j] = ent;
    this.hHash[j] = h;
  }

  /**
   * Removes an entry by value. Backward-shift deletion keeps probe chains intact without
   * tombstones, so lookups never slow down as connections churn.
   */
  private remove(ent: number): void {
    const m = this.hashMask;
    const i = ent >> 1;
    const d = ent & 1;
    const k0 = d === 0 ? 0 : 3;
    const k1 = d === 0 ? 1 : 2;
    const b = i * 4;
    const h = ConnTable.hash(this.proto[i]!, this.addrWord(i, k0, 0), this.addrWord(i, k0, 1), this.addrWord(i, k0, 2), this.addrWord(i, k0, 3), this.port[b + k0]!,
      this.addrWord(i, k1, 0), this.addrWord(i, k1, 1), this.addrWord(i, k1, 2), this.addrWord(i, k1, 3), this.port[b + k1]!);
    let j = h & m;
    while (this.hEnt[j] !== ent) {
      if (this.hEnt[j] === EMPTY) return;
      j = (j + 1) & m;
    }
    this.hEnt[j] = EMPTY;
    let k = (j + 1) & m;
    while (this.hEnt[k] !== EMPTY) {
      const home = this.hHash[k]! & m;
      // Move the entry back if its home slot is not in the (cyclic) interval (j, k].
      if ((k > j && (home <= j || home > k)) || (k < j && home <= j && home > k)) {
        this.hEnt[j] = this.hEnt[k]!;
        this.hHash[j] = this.hHash[k]!;
        this.hEnt[k] = EMPTY;
        j = k;
      }
      k = (k + 1) & m;
    }
  }

  /**
   * Finds the connection whose tuple in either direction matches the packet
   * (proto, src:sport -> dst:dport). Returns (i << 1 | dir) or -1. `template` selects
   * persistence templates instead of connections.
   */
  lookup(proto: number, s0: number, s1: number, s2: number, s3: number, sport: number,
    d0: number, d1: number, d2: number, d3: number, dport: number, template: boolean): number {
    const h = ConnTable.hash(proto, s0, s1, s2, s3, sport, d0, d1, d2, d3, dport);
    const m = this.hashMask;
    const want = template ? CONN_F_TEMPLATE : 0;
    for (let j = h & m; ; j = (j + 1) & m) {
      const ent = this.hEnt[j]!;
      if (ent === EMPTY) return -1;
      if (this.hHash[j] !== h) continue;
      const i = ent >> 1;
      if (this.proto[i] !== proto || (this.flags[i]! & CONN_F_TEMPLATE) !== want) continue;
      const b = i * 4;
      const ks = (ent & 1) === 0 ? 0 : 3;
      const kd = (ent & 1) === 0 ? 1 : 2;
      if (this.port[b + ks] !== sport || this.port[b + kd] !== dport) continue;
      if ((this.flags[i]! & CONN_F_V6) === 0) {
        if (this.addr[b + ks] === s0 && this.addr[b + kd] === d0 && s1 === 0 && s2 === 0 && s3 === 0 && d1 === 0 && d2 === 0 && d3 === 0) return ent;
        continue;
      }
      const v = this.addr[b]! * 16;
      const a6 = this.addr6;
      const sb = v + ks * 4;
      const db = v + kd * 4;
      if (a6[sb] === s0 && a6[sb + 1] === s1 && a6[sb + 2] === s2 && a6[sb + 3] === s3
        && a6[db] === d0 && a6[db + 1] === d1 && a6[db + 2] === d2 && a6[db + 3] === d3) return ent;
    }
  }

  // ---------------------------------------------------------------- timers

  /** Starts the wheel clock. */
  startClock(nowMs: number): void {
    this.wheelTime = Math.floor(nowMs / WHEEL_TICK_MS);
  }

  /**
   * Arms conn i to expire at expires[i]. Later refreshes only move expires[i] forward: the wheel
   * entry stays where it is and is re-filed when its slot comes round (lazy re-arming), so the
   * per-packet cost is one store.
   */
  link(i: number): void {
    let t = Math.floor(this.expires[i]! / WHEEL_TICK_MS);
    if (t <= this.wheelTime) t = this.wheelTime + 1;
    if (t - this.wheelTime >= WHEEL_SLOTS) t = this.wheelTime + WHEEL_SLOTS - 1;
    const s = t & (WHEEL_SLOTS - 1);
    const head = this.wheel[s]!;
    this.wNext[i] = head;
    this.wPrev[i] = -1 - s;
    if (head !== EMPTY) this.wPrev[head] = i;
    this.wheel[s] = i;
  }

  /**
   * Sets conn i's expiry after a packet. Later costs one store (the lazy re-arming above); earlier,
   * as when a state change shortens the timeout, re-files the entry, which would otherwise wait
   * for the slot of its old, later expiry.
   */
  rearm(i: number, expires: number): void {
    if (expires >= this.expires[i]!) {
      this.expires[i] = expires;
      return;
    }
    this.unlink(i);
    this.expires[i] = expires;
    this.link(i);
  }

  unlink(i: number): void {
    const n = this.wNext[i]!;
    const p = this.wPrev[i]!;
    if (p < 0) this.wheel[-1 - p] = n;
    else this.wNext[p] = n;
    if (n !== EMPTY) this.wPrev[n] = p;
  }

  /**
   * Advances the wheel to nowMs and calls expire(i) for every connection whose time has come.
   * expire() must unlink and release (or re-arm) the connection.
   */
  advance(nowMs: number, expire: (i: number) => void): void {
    const target = Math.floor(nowMs / WHEEL_TICK_MS);
    // A long gap in the capture clock: visit each slot once rather than each tick.
    if (target - this.wheelTime > WHEEL_SLOTS) this.wheelTime = target - WHEEL_SLOTS;
    while (this.wheelTime < target) {
      this.wheelTime++;
      const s = this.wheelTime & (WHEEL_SLOTS - 1);
      let i = this.wheel[s]!;
      while (i !== EMPTY) {
        const next = this.wNext[i]!;
        if (this.expires[i]! <= nowMs) {
          expire(i);
        } else {
          this.unlink(i);
          this.link(i);
        }
        i = next;
      }
    }
  }
}

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
