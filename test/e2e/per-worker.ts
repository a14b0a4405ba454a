// Scheduler proportions with several workers: each worker runs its own rr/wrr cursor (as DPVS's
// per-lcore schedulers do), so exact checks hold per worker, found from `tsvsadm -Lnc` ([worker]).

import assert from 'node:assert/strict';

export interface ConnLine {
  readonly worker: number;
  readonly state: string;
  /** Client, virtual, local and real-server sides as `addr port` (IPv6 without brackets). */
  readonly c: string;
  readonly v: string;
  readonly l: string;
  readonly d: string;
}

function side(w: string): string {
  const i = w.lastIndexOf(':');
  return `${w.slice(0, i).replace(/^\[|\]$/g, '')} ${w.slice(i + 1)}`;
}

/** `tsvsadm -Lnc` (DPVS's format: `[worker]proto expires state c v l d`), one entry per line. */
export function parseConns(listing: string): ConnLine[] {
  return listing.split('\n').filter(Boolean).map((line) => {
    const m = /^\[(\d+)\](tcp|udp)\s+\d+s\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(line);
    assert.ok(m, `unexpected -Lnc line: ${JSON.stringify(line)}`);
    return { worker: Number(m[1]), state: m[3]!, c: side(m[4]!), v: side(m[5]!), l: side(m[6]!), d: side(m[7]!) };
  });
}

/**
 * The worker that holds the connection whose client side is addr:port, or (FullNAT, what a real
 * server logs) whose local side is addr:port towards real server `rs`: a local port is unique
 * per real server only, the sapool reuses it for the others.
 */
export function workerOf(conns: readonly ConnLine[], addr: string, port: number, rs?: string): number {
  const k = `${addr} ${port}`;
  const hit = conns.filter((c) => c.c === k || (c.l === k && (rs === undefined || c.d.split(' ')[0] === rs)));
  assert.equal(hit.length, 1, `${k}: ${hit.length} connections in -Lnc:\n${conns.map((c) => JSON.stringify(c)).join('\n')}`);
  return hit[0]!.worker;
}

/** Picks (server indexes, in connection order) split by the worker that scheduled each. */
export function splitByWorker(picks: readonly { server: number; worker: number }[], workers: number): number[][] {
  const out: number[][] = Array.from({ length: workers }, () => []);
  for (const p of picks) out[p.worker]!.push(p.server);
  return out;
}

/** rr over two servers: within each worker, consecutive picks alternate. */
export function assertRrPerWorker(perWorker: readonly number[][]): void {
  perWorker.forEach((seq, w) => {
    for (let i = 1; i < seq.length; i++) assert.notEqual(seq[i], seq[i - 1], `worker ${w} rr order: ${seq.join(' ')}`);
  });
}

/**
 * wrr with weights 3 (server 0) and 1 (server 1): IPVS's wrr walks 0 0 0 1 forever, so each
 * worker's picks are one contiguous window of that cycle, whatever its starting point.
 */
export function assertWrr31PerWorker(perWorker: readonly number[][]): void {
  const cycle = [0, 0, 0, 1];
  perWorker.forEach((seq, w) => {
    const fits = [0, 1, 2, 3].some((o) => seq.every((s, i) => s === cycle[(o + i) % 4]));
    assert.ok(fits, `worker ${w} wrr order is not a window of 0 0 0 1: ${seq.join(' ')}`);
  });
}
