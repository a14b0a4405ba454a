// The connection table: one fixed-size record per connection in a single Int32Array, one
// open-addressing hash with an entry per direction, and a timing wheel for expiry. Never
// allocates after construction (the IPv6 side store grows on the new-connection path only).
//
//   record i = rec[i*20 .. i*20+19] (80 bytes)      hash (linear probing, load <= 0.7)
//    0 flags            10 timeout (s)              +---------------------+----------+
//    1 proto|state|meth 11 seqDelta                 | ent = i<<1 | dir    | hash     |  2 words per
//    2 caddr  3 vaddr   12 nhIn   13 nhOut          +---------------------+----------+  entry: a probe
//    4 daddr  5 laddr   14 nhGen  15 mtuIn|mtuOut   dir 0: (proto, caddr:cport -> vaddr:vport)
//    6 cport|vport      16 fdataSeq 17 ctl          dir 1: (proto, daddr:dport -> laddr:lport)
//    7 dport|lport      18 wheel next 19 wheel prev
//    8 dest   9 expires (ms after baseMs)
//
// Why one record: at a million connections every touched array is a cache miss, and a packet
// used to touch ~16 of them; now the fields an established packet needs are in words 0..15 (one
// or two cache lines) and a hash probe reads entry and hash from one line. Direction d's tuple
// is (addr word 2+2d, port word 6+d) -> (addr word 3+2d, port word 6+d low half), so lookup
// compares the packet's (sport<<16 | dport) word with one load.
//
// Values are stored as int32: addresses, sequence numbers and hashes above 2^31 read back
// negative. The hot path keeps them that way (no heap numbers); `>>> 0` only at the edges.
//
// IPv4 addresses live inline as one word each. A connection with any IPv6 side (IPv6 or NAT64)
// keeps all four addresses as 16-byte words in a side store, and word 2 holds its index there.

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

/** Words per connection record. */
export const CONN_WORDS = 20;
export const W_FLAGS = 0;
/** proto (bits 0-7) | state (8-15) | forwarding method (16-23). */
export const W_PSM = 1;
/** Addresses: caddr, vaddr, daddr, laddr (IPv4), or in W_CADDR the conn's v6 store index. */
export const W_CADDR = 2;
export const W_VADDR = 3;
export const W_DADDR = 4;
export const W_LADDR = 5;
/** cport << 16 | vport: the dir 0 tuple's ports as the packet carries them. */
export const W_CVPORT = 6;
/** dport << 16 | lport: the dir 1 tuple's ports. */
export const W_DLPORT = 7;
export const W_DEST = 8;
/** Expiry in ms after the table's base time (see setExpires). */
export const W_EXPIRES = 9;
/** Current timeout in seconds, refreshed into W_EXPIRES on every packet. */
export const W_TIMEOUT = 10;
/** FullNAT: sequence delta added to client->RS sequence numbers. */
export const W_SEQDELTA = 11;
/** Next-hop cache per direction: neighbour index, and netif generation it was taken in. */
export const W_NHIN = 12;
export const W_NHOUT = 13;
export const W_NHGEN = 14;
/** Path MTU per direction (in: low half, out: high half), taken with the next-hop cache. */
export const W_MTU = 15;
/** FullNAT: the RS's ISN + 1; a client segment acking it still lacks the TOA. */
export const W_FDATA = 16;
/** The persistence template controlling this conn, or -1; for templates: controlled count. */
export const W_CTL = 17;
/** Wheel links; a free slot's W_WNEXT links the free list. */
const W_WNEXT = 18;
const W_WPREV = 19;

/** Record word of address k (0 caddr, 1 vaddr, 2 laddr, 3 daddr): 2, 3, 5, 4. */
function addrSlot(k: number): number {
  return W_CADDR + (k ^ (k >> 1));
}

const EMPTY = -1;
const WHEEL_SLOTS = 4096;
/** Wheel granularity: expiry is checked to within this many milliseconds. */
export const WHEEL_TICK_MS = 100;
/** Largest W_EXPIRES value (int32 milliseconds after the base). */
const MAX_REL_MS = 0x7fffffff;
/** The base moves forward once the clock is this far past it (~12.4 days). */
const REBASE_AFTER_MS = 2 ** 30;
/** Hash load factor bound: two entries per connection at full capacity stay below it. */
const HASH_LOAD = 0.7;

/** Hash table entries for a capacity: the next power of two holding 2 entries/conn at HASH_LOAD. */
function hashEntries(capacity: number): number {
  let h = 16;
  while (h < (capacity * 2) / HASH_LOAD) h *= 2;
  return h;
}

export class ConnTable {
  readonly capacity: number;
  /** The records, CONN_WORDS per connection. */
  readonly rec: Int32Array;
  private readonly wheel: Int32Array;
  /** Wheel position in ticks (WHEEL_TICK_MS) since `baseMs`. */
  private wheelTime = 0;
  /** The time (ms) W_EXPIRES counts from; moved forward by rebase(). */
  private baseMs = 0;
  /** Head of the free slots, linked through their W_WNEXT word (no separate free list). */
  private freeHead: number;
  /** IPv6 side store: 16 words per conn that has one (c, v, l, d). */
  addr6: Int32Array;
  private free6: Int32Array;
  private free6Top: number;
  private cap6: number;
  private readonly hashMask: number;
  /** Hash entries, interleaved: [2j] = i<<1 | dir (or EMPTY), [2j+1] = the tuple's hash. */
  private readonly hash: Int32Array;
  count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.rec = new Int32Array(capacity * CONN_WORDS);
    this.wheel = new Int32Array(WHEEL_SLOTS).fill(EMPTY);
    for (let i = 0; i < capacity; i++) this.rec[i * CONN_WORDS + W_WNEXT] = i + 1 < capacity ? i + 1 : EMPTY;
    this.freeHead = capacity > 0 ? 0 : EMPTY;
    this.cap6 = 0;
    this.addr6 = new Int32Array(0);
    this.free6 = new Int32Array(0);
    this.free6Top = 0;
    const h = hashEntries(capacity);
    this.hashMask = h - 1;
    this.hash = new Int32Array(h * 2);
    for (let j = 0; j < h * 2; j += 2) this.hash[j] = EMPTY;
  }

  /**
   * Bytes held per connection slot at this capacity: the record (free slots are linked through
   * it) and the slot's share of the hash table (the IPv6 side store, for IPv6 conns only, is extra).
   */
  static bytesPerSlot(capacity: number): number {
    return CONN_WORDS * 4 + (hashEntries(capacity) * 8) / capacity;
  }

  // ---------------------------------------------------------------- allocation

  /** Takes a free slot, or -1 when the table is full. The caller fills every field. */
  alloc(v6: boolean): number {
    const i = this.freeHead;
    if (i === EMPTY) return -1;
    const c = this.rec;
    const r = i * CONN_WORDS;
    this.freeHead = c[r + W_WNEXT]!;
    c[r + W_FLAGS] = CONN_F_USED;
    c[r + W_CTL] = -1;
    c[r + W_NHIN] = -1;
    c[r + W_NHOUT] = -1;
    c[r + W_NHGEN] = 0;
    c[r + W_MTU] = 0;
    c[r + W_SEQDELTA] = 0;
    c[r + W_FDATA] = 0;
    if (v6) {
      c[r + W_CADDR] = this.alloc6();
      c[r + W_FLAGS] = CONN_F_USED | CONN_F_V6;
    }
    this.count++;
    return i;
  }

  private alloc6(): number {
    if (this.free6Top === 0) {
      // Growth happens only on the new-connection path and doubles, so it amortises away.
      const ncap = Math.max(64, this.cap6 * 2);
      const a = new Int32Array(ncap * 16);
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
    const r = i * CONN_WORDS;
    if ((this.rec[r + W_FLAGS]! & CONN_F_V6) !== 0) this.free6[this.free6Top++] = this.rec[r + W_CADDR]!;
    this.rec[r + W_FLAGS] = 0;
    this.rec[r + W_WNEXT] = this.freeHead;
    this.freeHead = i;
    this.count--;
  }

  // ---------------------------------------------------------------- field access (off the hot path)

  flags(i: number): number { return this.rec[i * CONN_WORDS + W_FLAGS]!; }
  setFlags(i: number, f: number): void { this.rec[i * CONN_WORDS + W_FLAGS] = f; }
  proto(i: number): number { return this.rec[i * CONN_WORDS + W_PSM]! & 255; }
  state(i: number): number { return (this.rec[i * CONN_WORDS + W_PSM]! >> 8) & 255; }
  method(i: number): number { return (this.rec[i * CONN_WORDS + W_PSM]! >> 16) & 255; }
  setProtoStateMethod(i: number, proto: number, state: number, method: number): void {
    this.rec[i * CONN_WORDS + W_PSM] = proto | (state << 8) | (method << 16);
  }
  setState(i: number, s: number): void {
    const r = i * CONN_WORDS + W_PSM;
    this.rec[r] = (this.rec[r]! & ~0xff00) | (s << 8);
  }
  /** Port k (0 cport, 1 vport, 2 lport, 3 dport). */
  port(i: number, k: number): number {
    const r = i * CONN_WORDS;
    switch (k) {
      case 0: return this.rec[r + W_CVPORT]! >>> 16;
      case 1: return this.rec[r + W_CVPORT]! & 0xffff;
      case 2: return this.rec[r + W_DLPORT]! & 0xffff;
      default: return this.rec[r + W_DLPORT]! >>> 16;
    }
  }
  /** Sets all four ports: client, virtual, local, destination. */
  setPorts(i: number, cport: number, vport: number, lport: number, dport: number): void {
    const r = i * CONN_WORDS;
    this.rec[r + W_CVPORT] = (cport << 16) | vport;
    this.rec[r + W_DLPORT] = (dport << 16) | lport;
  }
  dest(i: number): number { return this.rec[i * CONN_WORDS + W_DEST]!; }
  timeout(i: number): number { return this.rec[i * CONN_WORDS + W_TIMEOUT]!; }
  /** FullNAT sequence delta, unsigned. */
  seqDelta(i: number): number { return this.rec[i * CONN_WORDS + W_SEQDELTA]! >>> 0; }
  /** Index of the conn's addresses in the IPv6 side store (CONN_F_V6 conns only). */
  v6Index(i: number): number { return this.rec[i * CONN_WORDS + W_CADDR]!; }

  // ---------------------------------------------------------------- address access

  /** Word w (0..3) of address k (0 caddr, 1 vaddr, 2 laddr, 3 daddr) of conn i, as int32. */
  addrWord(i: number, k: number, w: number): number {
    const r = i * CONN_WORDS;
    if ((this.rec[r + W_FLAGS]! & CONN_F_V6) === 0) return w === 0 ? this.rec[r + addrSlot(k)]! : 0;
    return this.addr6[this.rec[r + W_CADDR]! * 16 + k * 4 + w]!;
  }

  /** addrWord as an unsigned number, for control-plane and test code that compares with IpAddr words. */
  addrWordU(i: number, k: number, w: number): number {
    return this.addrWord(i, k, w) >>> 0;
  }

  setAddr(i: number, k: number, w0: number, w1: number, w2: number, w3: number): void {
    const r = i * CONN_WORDS;
    if ((this.rec[r + W_FLAGS]! & CONN_F_V6) === 0) {
      this.rec[r + addrSlot(k)] = w0;
      return;
    }
    const b = this.rec[r + W_CADDR]! * 16 + k * 4;
    this.addr6[b] = w0;
    this.addr6[b + 1] = w1;
    this.addr6[b + 2] = w2;
    this.addr6[b + 3] = w3;
  }

  // ---------------------------------------------------------------- hashing

  /**
   * Hash of a directed tuple, as int32. Mixes each word murmur3-style; IPv4 callers pass zeros
   * for w1..w3. `ports` is sport << 16 | dport.
   */
  static hash(proto: number, s0: number, s1: number, s2: number, s3: number,
    d0: number, d1: number, d2: number, d3: number, ports: number): number {
    let h = proto ^ 0x9747b28c;
    h = mix(h, s0);
    if ((s1 | s2 | s3 | d1 | d2 | d3) !== 0) {
      h = mix(h, s1); h = mix(h, s2); h = mix(h, s3);
      h = mix(h, d0); h = mix(h, d1); h = mix(h, d2); h = mix(h, d3);
    } else {
      h = mix(h, d0);
    }
    h = mix(h, ports);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  }

  /** Hash of conn i's tuple in direction dir (0: client -> VIP, 1: RS -> LIP). */
  private hashOf(i: number, dir: number): number {
    const c = this.rec;
    const r = i * CONN_WORDS;
    const p = c[r + W_PSM]! & 255;
    const ports = c[r + W_CVPORT + dir]!;
    if ((c[r + W_FLAGS]! & CONN_F_V6) === 0) {
      return ConnTable.hash(p, c[r + W_CADDR + 2 * dir]!, 0, 0, 0, c[r + W_VADDR + 2 * dir]!, 0, 0, 0, ports);
    }
    const a = this.addr6;
    // Side store order is c, v, l, d: dir 1's source is d (12), its destination l (8).
    const s = c[r + W_CADDR]! * 16 + (dir === 0 ? 0 : 12);
    const d = c[r + W_CADDR]! * 16 + (dir === 0 ? 4 : 8);
    return ConnTable.hash(p, a[s]!, a[s + 1]!, a[s + 2]!, a[s + 3]!, a[d]!, a[d + 1]!, a[d + 2]!, a[d + 3]!, ports);
  }

  /** Inserts both tuples of conn i (only dir 0 when CONN_F_NO_OUT or a template). */
  hashConn(i: number): void {
    this.insert(this.hashOf(i, 0), i << 1);
    if ((this.rec[i * CONN_WORDS + W_FLAGS]! & (CONN_F_NO_OUT | CONN_F_TEMPLATE)) !== 0) return;
    this.insert(this.hashOf(i, 1), (i << 1) | 1);
  }

  unhashConn(i: number): void {
    this.remove(i << 1);
    if ((this.rec[i * CONN_WORDS + W_FLAGS]! & (CONN_F_NO_OUT | CONN_F_TEMPLATE)) === 0) this.remove((i << 1) | 1);
  }

  private insert(h: number, ent: number): void {
    const t = this.hash;
    const m = this.hashMask;
    let j = h & m;
    while (t[j * 2] !== EMPTY) j = (j + 1) & m;
    t[j * 2] = ent;
    t[j * 2 + 1] = h;
  }

  /**
   * Removes an entry by value. Backward-shift deletion keeps probe chains intact without
   * tombstones, so lookups never slow down as connections churn.
   */
  private remove(ent: number): void {
    const t = this.hash;
    const m = this.hashMask;
    let j = this.hashOf(ent >> 1, ent & 1) & m;
    while (t[j * 2] !== ent) {
      if (t[j * 2] === EMPTY) return;
      j = (j + 1) & m;
    }
    t[j * 2] = EMPTY;
    let k = (j + 1) & m;
    while (t[k * 2] !== EMPTY) {
      const home = t[k * 2 + 1]! & m;
      // Move the entry back if its home slot is not in the (cyclic) interval (j, k].
      if ((k > j && (home <= j || home > k)) || (k < j && home <= j && home > k)) {
        t[j * 2] = t[k * 2]!;
        t[j * 2 + 1] = t[k * 2 + 1]!;
        t[k * 2] = EMPTY;
        j = k;
      }
      k = (k + 1) & m;
    }
  }

  /**
   * Finds the connection whose tuple in either direction matches the packet
   * (proto, src:sport -> dst:dport). Returns (i << 1 | dir) or -1. `template` selects
   * persistence templates instead of connections. Address words may be signed or unsigned.
   */
  lookup(proto: number, s0: number, s1: number, s2: number, s3: number, sport: number,
    d0: number, d1: number, d2: number, d3: number, dport: number, template: boolean): number {
    s0 |= 0; s1 |= 0; s2 |= 0; s3 |= 0; d0 |= 0; d1 |= 0; d2 |= 0; d3 |= 0;
    const ports = (sport << 16) | dport;
    const h = ConnTable.hash(proto, s0, s1, s2, s3, d0, d1, d2, d3, ports);
    // IPv4 tuples have zero words 1..3 (so may an IPv6 one: it is then checked in the side store).
    const v4 = (s1 | s2 | s3 | d1 | d2 | d3) === 0;
    const want = template ? CONN_F_TEMPLATE : 0;
    const t = this.hash;
    const c = this.rec;
    const m = this.hashMask;
    for (let j = h & m; ; j = (j + 1) & m) {
      const ent = t[j * 2]!;
      if (ent === EMPTY) return -1;
      if (t[j * 2 + 1] !== h) continue;
      const r = (ent >> 1) * CONN_WORDS;
      const dir = ent & 1;
      if (c[r + W_CVPORT + dir] !== ports || (c[r + W_PSM]! & 255) !== proto) continue;
      const f = c[r + W_FLAGS]!;
      if ((f & CONN_F_TEMPLATE) !== want) continue;
      if ((f & CONN_F_V6) === 0) {
        if (v4 && c[r + W_CADDR + 2 * dir] === s0 && c[r + W_VADDR + 2 * dir] === d0) return ent;
        continue;
      }
      const a6 = this.addr6;
      const v = c[r + W_CADDR]! * 16;
      const sb = v + (dir === 0 ? 0 : 12);
      const db = v + (dir === 0 ? 4 : 8);
      if (a6[sb] === s0 && a6[sb + 1] === s1 && a6[sb + 2] === s2 && a6[sb + 3] === s3
        && a6[db] === d0 && a6[db + 1] === d1 && a6[db + 2] === d2 && a6[db + 3] === d3) return ent;
    }
  }

  // ---------------------------------------------------------------- timers

  /**
   * Starts the clock. W_EXPIRES holds milliseconds after `baseMs` as an int32 (packets must see
   * timeouts to the millisecond, which ticks could not give); advance() moves the base forward
   * long before the 24-day int32 range runs out. Call before arming any conn.
   */
  startClock(nowMs: number): void {
    this.baseMs = Math.floor(nowMs / WHEEL_TICK_MS) * WHEEL_TICK_MS;
    this.wheelTime = 0;
  }

  /**
   * W_EXPIRES value for an absolute time in ms: rounded up, so a connection never expires early.
   * Timeouts beyond the int32 range (~24 days) are clamped to it.
   */
  relMs(ms: number): number {
    const r = Math.ceil(ms - this.baseMs);
    return r < MAX_REL_MS ? r | 0 : MAX_REL_MS;
  }

  /** Sets conn i's expiry time (absolute ms); the wheel picks it up lazily (see link). */
  setExpires(i: number, ms: number): void {
    this.rec[i * CONN_WORDS + W_EXPIRES] = this.relMs(ms);
  }

  /** Conn i's expiry time in absolute ms. */
  expiresMs(i: number): number {
    return this.rec[i * CONN_WORDS + W_EXPIRES]! + this.baseMs;
  }

  /** True when conn i's time is up at nowMs (its wheel slot may not have come round yet). */
  isDue(i: number, nowMs: number): boolean {
    return this.rec[i * CONN_WORDS + W_EXPIRES]! <= nowMs - this.baseMs;
  }

  /**
   * Arms conn i to expire at its W_EXPIRES. Later refreshes only move W_EXPIRES forward: the wheel
   * entry stays where it is and is re-filed when its slot comes round (lazy re-arming), so the
   * per-packet cost is one store.
   */
  link(i: number): void {
    const c = this.rec;
    const r = i * CONN_WORDS;
    // The slot of the tick the expiry falls in: advance() expires it there once its time has
    // passed, or re-files it to the next tick.
    let t = Math.floor(c[r + W_EXPIRES]! / WHEEL_TICK_MS);
    if (t <= this.wheelTime) t = this.wheelTime + 1;
    if (t - this.wheelTime >= WHEEL_SLOTS) t = this.wheelTime + WHEEL_SLOTS - 1;
    const s = t & (WHEEL_SLOTS - 1);
    const head = this.wheel[s]!;
    c[r + W_WNEXT] = head;
    c[r + W_WPREV] = -1 - s;
    if (head !== EMPTY) c[head * CONN_WORDS + W_WPREV] = i;
    this.wheel[s] = i;
  }

  /**
   * Sets conn i's expiry after a packet. Later costs one store (the lazy re-arming above); earlier,
   * as when a state change shortens the timeout, re-files the entry, which would otherwise wait
   * for the slot of its old, later expiry.
   */
  rearm(i: number, ms: number): void {
    const e = this.relMs(ms);
    const k = i * CONN_WORDS + W_EXPIRES;
    if (e >= this.rec[k]!) {
      this.rec[k] = e;
      return;
    }
    this.unlink(i);
    this.rec[k] = e;
    this.link(i);
  }

  unlink(i: number): void {
    const c = this.rec;
    const r = i * CONN_WORDS;
    const n = c[r + W_WNEXT]!;
    const p = c[r + W_WPREV]!;
    if (p < 0) this.wheel[-1 - p] = n;
    else c[p * CONN_WORDS + W_WNEXT] = n;
    if (n !== EMPTY) c[n * CONN_WORDS + W_WPREV] = p;
  }

  /**
   * Advances the wheel to nowMs and calls expire(i) for every connection whose time has come.
   * expire() must unlink and release (or re-arm) the connection.
   */
  advance(nowMs: number, expire: (i: number) => void): void {
    if (nowMs - this.baseMs > REBASE_AFTER_MS) this.rebase(nowMs);
    const nowRel = nowMs - this.baseMs;
    const target = Math.floor(nowRel / WHEEL_TICK_MS);
    // A long gap in the capture clock: visit each slot once rather than each tick.
    if (target - this.wheelTime > WHEEL_SLOTS) this.wheelTime = target - WHEEL_SLOTS;
    const c = this.rec;
    while (this.wheelTime < target) {
      this.wheelTime++;
      const s = this.wheelTime & (WHEEL_SLOTS - 1);
      let i = this.wheel[s]!;
      while (i !== EMPTY) {
        const next = c[i * CONN_WORDS + W_WNEXT]!;
        if (c[i * CONN_WORDS + W_EXPIRES]! <= nowRel) {
          expire(i);
        } else {
          this.unlink(i);
          this.link(i);
        }
        i = next;
      }
    }
  }

  /**
   * Moves the base forward by whole wheel turns (slot indexes stay valid) and every armed
   * expiry back by the same amount, so W_EXPIRES stays inside int32. Runs once every ~12 days.
   */
  private rebase(nowMs: number): void {
    const turnMs = WHEEL_SLOTS * WHEEL_TICK_MS;
    const turns = Math.floor((nowMs - this.baseMs - REBASE_AFTER_MS / 2) / turnMs);
    if (turns <= 0) return;
    const d = turns * turnMs;
    const c = this.rec;
    for (let i = 0; i < this.capacity; i++) {
      const r = i * CONN_WORDS;
      if ((c[r + W_FLAGS]! & CONN_F_USED) === 0) continue;
      const e = c[r + W_EXPIRES]! - d;
      c[r + W_EXPIRES] = e < -MAX_REL_MS ? -MAX_REL_MS : e;
    }
    this.baseMs += d;
    this.wheelTime -= turns * WHEEL_SLOTS;
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
