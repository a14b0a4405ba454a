// TEMPORARY linear route table so the engine compiles; replaced by the LPM tables from the
// testsupport branch (same interface).
import { TsvsError } from '../errors.js';
import { type IpAddr, maskIp, ipEquals, wordMask } from '../packet/inet.js';
import type { RouteScope } from '../control/commands.js';

export interface RouteEntry {
  readonly af: 4 | 6; readonly prefix: IpAddr; readonly plen: number; readonly via: IpAddr | null;
  readonly port: number; readonly src: IpAddr | null; readonly scope: RouteScope; readonly metric: number; readonly mtu: number;
}

export class RouteTable {
  private routes: RouteEntry[] = [];
  get size(): number { return this.routes.length; }
  add(e: RouteEntry): void {
    if (this.routes.some((r) => r.af === e.af && r.plen === e.plen && ipEquals(r.prefix, e.prefix) && r.port === e.port && r.metric === e.metric)) {
      throw new TsvsError('TSVS_ERR_ROUTE_EXISTS', 'route exists');
    }
    this.routes.push({ ...e, prefix: maskIp(e.prefix, e.plen) });
  }
  del(af: 4 | 6, prefix: IpAddr, plen: number, port?: number, metric?: number): RouteEntry {
    const i = this.routes.findIndex((r) => r.af === af && r.plen === plen && ipEquals(r.prefix, maskIp(prefix, plen)) && (port === undefined || r.port === port) && (metric === undefined || r.metric === metric));
    if (i < 0) throw new TsvsError('TSVS_ERR_NO_ROUTE', 'no such route');
    return this.routes.splice(i, 1)[0]!;
  }
  lookup4(w0: number): RouteEntry | null {
    let best: RouteEntry | null = null;
    for (const r of this.routes) {
      if (r.af !== 4 || ((w0 & wordMask(r.plen)) >>> 0) !== r.prefix.w0) continue;
      if (!best || r.plen > best.plen || (r.plen === best.plen && r.metric < best.metric)) best = r;
    }
    return best;
  }
  lookup6(w0: number, w1: number, w2: number, w3: number): RouteEntry | null {
    let best: RouteEntry | null = null;
    for (const r of this.routes) {
      if (r.af !== 6) continue;
      const p = r.prefix;
      if (((w0 & wordMask(r.plen)) >>> 0) !== p.w0 || ((w1 & wordMask(r.plen - 32)) >>> 0) !== p.w1
        || ((w2 & wordMask(r.plen - 64)) >>> 0) !== p.w2 || ((w3 & wordMask(r.plen - 96)) >>> 0) !== p.w3) continue;
      if (!best || r.plen > best.plen || (r.plen === best.plen && r.metric < best.metric)) best = r;
    }
    return best;
  }
  list(af?: 4 | 6): RouteEntry[] { return this.routes.filter((r) => af === undefined || r.af === af); }
  flush(af?: 4 | 6, port?: number): number {
    const before = this.routes.length;
    this.routes = this.routes.filter((r) => !((af === undefined || r.af === af) && (port === undefined || r.port === port)));
    return before - this.routes.length;
  }
}
