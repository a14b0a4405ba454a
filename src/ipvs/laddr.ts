// FullNAT local addresses (LIPs) and their port pools, after DPVS's sapool: each LIP keeps one
// free-port ring per real-server bucket, so a local port is reused for different real servers.

import type { IpAddr } from '../packet/inet.js';

/** DPVS sa_pool/pool_hash_size. */
export const LADDR_BUCKETS = 16;
export const LPORT_MIN = 1025;
export const LPORT_MAX = 65535;

/**
 * The worker's slice of a LIP's ports: DPVS gives worker i of N the ports whose low
 * ceil(log2 N) bits equal i, so replies can be steered to it by destination port.
 */
export function workerPortMask(workers: number): number {
  let shift = 0;
  while (1 << shift < workers) shift++;
  return (1 << shift) - 1;
}

/**
 * Free local ports for one (LIP, bucket), handed out FIFO so a port rests before reuse. The ring
 * starts at `rotate`: a node that takes over a shared LIP (VRRP) or a restarted one then does not
 * begin with the very ports its predecessor just left in TIME_WAIT on the real servers.
 */
class PortRing {
  readonly ring: Uint16Array;
  head = 0;
  count = 0;

  constructor(worker: number, mask: number, rotate: number) {
    let n = 0;
    for (let p = LPORT_MIN; p <= LPORT_MAX; p++) if ((p & mask) === worker) n++;
    this.ring = new Uint16Array(n);
    for (let p = LPORT_MIN; p <= LPORT_MAX; p++) if ((p & mask) === worker) this.ring[this.count++] = p;
    this.head = rotate % n;
  }

  take(): number {
    if (this.count === 0) return -1;
    const p = this.ring[this.head]!;
    this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
    this.count--;
    return p;
  }

  give(port: number): void {
    let t = this.head + this.count;
    if (t >= this.ring.length) t -= this.ring.length;
    this.ring[t] = port;
    this.count++;
  }
}

export class LocalAddr {
  readonly addr: IpAddr;
  readonly port: number;
  private readonly rings: PortRing[];
  /** Allocation failures (DPVS -G CONFLICTS). */
  conflicts = 0;
  /** Connections holding a port here. */
  conns = 0;

  /** seed 0: every ring starts at its lowest port; otherwise a start per (seed, LIP, bucket). */
  constructor(addr: IpAddr, port: number, worker: number, workers: number, seed = 0) {
    this.addr = addr;
    this.port = port;
    const mask = workerPortMask(workers);
    this.rings = [];
    for (let b = 0; b < LADDR_BUCKETS; b++) {
      const rotate = seed === 0 ? 0 : laddrBucketHash(seed ^ addr.w0, addr.w1, addr.w2, addr.w3, b) >>> 0;
      this.rings.push(new PortRing(worker, mask, rotate));
    }
  }

  /** Takes a free local port for a real server, or -1 when the bucket is exhausted. */
  take(bucket: number): number {
    const p = this.rings[bucket]!.take();
    if (p < 0) this.conflicts++;
    else this.conns++;
    return p;
  }

  give(bucket: number, port: number): void {
    this.rings[bucket]!.give(port);
    this.conns--;
  }

  /** Free ports summed over buckets (dpip's sa_free). */
  free(): number {
    let n = 0;
    for (const r of this.rings) n += r.count;
    return n;
  }
}

/** The bucket of a real server: its address words and port, hashed. */
export function laddrBucket(w0: number, w1: number, w2: number, w3: number, port: number): number {
  return (laddrBucketHash(w0, w1, w2, w3, port) >>> 0) % LADDR_BUCKETS;
}

function laddrBucketHash(w0: number, w1: number, w2: number, w3: number, port: number): number {
  const h = Math.imul(w0 ^ w1 ^ w2 ^ w3 ^ (port << 16), 0x9e3779b1);
  return h ^ (h >>> 15);
}
