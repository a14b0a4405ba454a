// Interface addresses (tsip addr): which IPs are ours and on which port; the sapool flag marks
// local addresses FullNAT may allocate ports on. Used for ARP/ND answers and source selection.

import { TsvsError } from '../errors.js';
import { type IpAddr, formatIp, wordMask } from '../packet/inet.js';
import type { RouteScope } from '../control/commands.js';
import { AddrMap } from './addr-map.js';

export interface IfAddr {
  readonly addr: IpAddr;
  readonly plen: number;
  readonly port: number;
  readonly sapool: boolean;
  readonly scope: RouteScope;
  /** Added implicitly by --add-laddr, not by tsip addr add. */
  readonly implicit: boolean;
}

export class AddrTable {
  private readonly byAddr = new AddrMap<IfAddr>();
  private readonly list: IfAddr[] = [];

  add(a: IfAddr): void {
    if (this.byAddr.get(a.addr)) {
      throw new TsvsError('TSVS_ERR_ADDR_EXISTS', `address ${formatIp(a.addr)} already exists`);
    }
    this.byAddr.set(a.addr, a);
    this.list.push(a);
  }

  del(addr: IpAddr, port: number): IfAddr {
    const e = this.byAddr.get(addr);
    if (!e || e.port !== port) throw new TsvsError('TSVS_ERR_NO_ADDR', `address ${formatIp(addr)} not found on that port`);
    this.byAddr.delete(addr);
    this.list.splice(this.list.indexOf(e), 1);
    return e;
  }

  /** The address entry when (af, words) is one of ours. */
  find(af: number, w0: number, w1: number, w2: number, w3: number): IfAddr | undefined {
    return this.byAddr.getW(af, w0, w1, w2, w3);
  }

  get(addr: IpAddr): IfAddr | undefined {
    return this.byAddr.get(addr);
  }

  all(): readonly IfAddr[] {
    return this.list;
  }

  /**
   * Source address for packets we originate towards `dst` on `port`: an address on the port
   * whose subnet holds dst, else the port's first address of that family, else any.
   */
  selectSource(port: number, dst: IpAddr): IpAddr | null {
    let first: IpAddr | null = null;
    let any: IpAddr | null = null;
    for (const e of this.list) {
      if (e.addr.af !== dst.af) continue;
      if (e.port === port) {
        if (samePrefix(e.addr, dst, e.plen)) return e.addr;
        first ??= e.addr;
      }
      any ??= e.addr;
    }
    return first ?? any;
  }
}

/**
 * True when a and b agree on their first plen bits. Compares words in place: masking copies
 * (maskIp) would allocate two objects per call, and tunnelling calls selectSource on its packet
 * path whenever routes, addresses or neighbours change (Xmit.tunSource caches the answer per dest).
 */
function samePrefix(a: IpAddr, b: IpAddr, plen: number): boolean {
  return ((a.w0 ^ b.w0) & wordMask(plen)) === 0 && ((a.w1 ^ b.w1) & wordMask(plen - 32)) === 0
    && ((a.w2 ^ b.w2) & wordMask(plen - 64)) === 0 && ((a.w3 ^ b.w3) & wordMask(plen - 96)) === 0;
}
