// A real server of a virtual service (IPVS "dest"): address, forwarding method, weight,
// thresholds and the connection counts schedulers read. Overload follows the kernel's rules.

import type { FwdMethod, TunType } from '../control/commands.js';
import type { IpAddr } from '../packet/inet.js';
import type { SchedDest } from './sched/types.js';
import type { Service } from './service.js';

export const FWD_DR = 1;
export const FWD_TUNNEL = 2;
export const FWD_NAT = 3;
export const FWD_FNAT = 4;

export const TUN_IPIP = 0;
export const TUN_GRE = 1;
export const TUN_GUE = 2;

export function fwdCode(m: FwdMethod): number {
  return m === 'dr' ? FWD_DR : m === 'tunnel' ? FWD_TUNNEL : m === 'nat' ? FWD_NAT : FWD_FNAT;
}

export function tunCode(t: TunType): number {
  return t === 'ipip' ? TUN_IPIP : t === 'gre' ? TUN_GRE : TUN_GUE;
}

/** ipvsadm's Forward column. */
export const FWD_NAMES = ['', 'Route', 'Tunnel', 'Masq', 'FullNat'] as const;

export class Dest implements SchedDest {
  readonly id: number;
  readonly svc: Service;
  readonly addr: IpAddr;
  readonly af: 4 | 6;
  readonly addrW0: number;
  readonly addrW1: number;
  readonly addrW2: number;
  readonly addrW3: number;
  /**
   * The address words as int32, for the packet path: values above 2^31 would be heap numbers
   * whenever they cross a call that is not inlined (garbage per packet); int32 are small ints.
   */
  readonly a0: number;
  readonly a1: number;
  readonly a2: number;
  readonly a3: number;
  /** Tunnels: the outer source address (int32 words), chosen on first use; see Xmit.tunSource. */
  tunSrcOk = false;
  tunSrcGen = 0;
  tunSrc0 = 0;
  tunSrc1 = 0;
  tunSrc2 = 0;
  tunSrc3 = 0;
  readonly port: number;
  method: number;
  weight: number;
  uThreshold: number;
  lThreshold: number;
  tunType: number;
  tunPort: number;
  /** GUE: false sends a zero UDP checksum (--tun-nocsum). */
  tunCsum: boolean;
  activeConns = 0;
  inactConns = 0;
  persistConns = 0;
  overloaded = false;
  available = true;
  /** Connections and templates still pointing here; a deleted dest is freed when it drops to 0. */
  refs = 0;

  constructor(id: number, svc: Service, addr: IpAddr, port: number, method: number, weight: number) {
    this.id = id;
    this.svc = svc;
    this.addr = addr;
    this.af = addr.af;
    this.addrW0 = addr.w0;
    this.addrW1 = addr.w1;
    this.addrW2 = addr.w2;
    this.addrW3 = addr.w3;
    this.a0 = addr.w0 | 0;
    this.a1 = addr.w1 | 0;
    this.a2 = addr.w2 | 0;
    this.a3 = addr.w3 | 0;
    this.port = port;
    this.method = method;
    this.weight = weight;
    this.uThreshold = 0;
    this.lThreshold = 0;
    this.tunType = TUN_IPIP;
    this.tunPort = 0;
    this.tunCsum = false;
  }

  /** On binding a connection: the kernel flags overload once active+inactive reach -x. */
  checkOverloadOnBind(): void {
    if (this.uThreshold > 0 && this.activeConns + this.inactConns >= this.uThreshold) this.overloaded = true;
  }

  /**
   * On unbinding: the flag clears below -y, or below 3/4 of -x when -y is unset; with no
   * thresholds at all it is always clear (ip_vs_conn.c, ip_vs_unbind_dest).
   */
  checkOverloadOnUnbind(): void {
    if (!this.overloaded) return;
    const total = this.activeConns + this.inactConns;
    if (this.lThreshold > 0) {
      if (total < this.lThreshold) this.overloaded = false;
    } else if (this.uThreshold > 0) {
      if (total * 4 < this.uThreshold * 3) this.overloaded = false;
    } else {
      this.overloaded = false;
    }
  }
}
