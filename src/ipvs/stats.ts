// IPVS traffic counters per service and per dest: conns, packets and bytes each way, the five
// ipvsadm --stats columns. Flat Float64Arrays indexed by id, grown on the control path only; a
// worker thread allocates them in SharedArrayBuffers so the control plane can sum them.

export const ST_CONNS = 0;
export const ST_INPKTS = 1;
export const ST_OUTPKTS = 2;
export const ST_INBYTES = 3;
export const ST_OUTBYTES = 4;
export const ST_FIELDS = 5;

/** Makes a zeroed array of n floats (in a SharedArrayBuffer for worker threads). */
export type StatsAlloc = (n: number) => Float64Array;

export class IpvsStats {
  dest: Float64Array;
  svc: Float64Array;
  private readonly alloc: StatsAlloc;

  constructor(alloc: StatsAlloc = (n) => new Float64Array(n)) {
    this.alloc = alloc;
    this.dest = alloc(64 * ST_FIELDS);
    this.svc = alloc(16 * ST_FIELDS);
  }

  ensureDest(id: number): void {
    if ((id + 1) * ST_FIELDS > this.dest.length) this.dest = grow(this.dest, (id + 1) * ST_FIELDS, this.alloc);
  }

  ensureSvc(id: number): void {
    if ((id + 1) * ST_FIELDS > this.svc.length) this.svc = grow(this.svc, (id + 1) * ST_FIELDS, this.alloc);
  }

  zeroDest(id: number): void {
    this.dest.fill(0, id * ST_FIELDS, (id + 1) * ST_FIELDS);
  }

  zeroSvc(id: number): void {
    this.svc.fill(0, id * ST_FIELDS, (id + 1) * ST_FIELDS);
  }
}

function grow(a: Float64Array, min: number, alloc: StatsAlloc): Float64Array {
  let n = a.length;
  while (n < min) n *= 2;
  const b = alloc(n);
  b.set(a);
  return b;
}
