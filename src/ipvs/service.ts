// A virtual service (VIP:port/proto, or a firewall mark): options, its dests in ipvsadm order, its
// FullNAT local addresses, and its scheduler instance. Control-plane object read by the new-connection path.

import type { L4Proto, ServiceKey } from '../control/commands.js';
import { type IpAddr, ip4, ip6 } from '../packet/inet.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../packet/proto.js';
import type { Dest } from './dest.js';
import type { LocalAddr } from './laddr.js';
import type { Scheduler, SchedServiceView } from './sched/types.js';

export class Service implements SchedServiceView {
  readonly id: number;
  readonly proto: number;
  readonly addr: IpAddr;
  readonly port: number;
  /**
   * The firewall mark of a -f service, else 0. A fwmark service has no address or port of its own:
   * like ipvsadm's entry it holds TCP, the unspecified address of its family and port 0, and it is
   * never in the packet lookup (tsvs frames carry no mark).
   */
  readonly fwmark: number;
  schedName: string;
  scheduler: Scheduler;
  /** Persistence timeout in ms; 0 = not persistent. */
  persistentMs = 0;
  /** Persistence granularity as a prefix length (32 / 128 = per client address). */
  netmaskPlen: number;
  ops = false;
  flags: Set<string> = new Set();
  /** DPVS --conn-timeout (seconds, 0 = unset). */
  connTimeout = 0;
  expireQuiescent = false;
  hashTarget: 'sip' | 'qid' = 'sip';
  dests: Dest[] = [];
  laddrs: LocalAddr[] = [];
  /** Round-robin cursor over laddrs (DPVS laddr_curr). */
  laddrCursor = 0;
  /** FullNAT binds so far, for the periodic LIP skip under round-robin schedulers. */
  laddrBinds = 0;

  /** True for schedulers that walk dests in a fixed cycle (the LIP round robin can lock to it). */
  get lockstepSched(): boolean {
    return this.schedName === 'rr' || this.schedName === 'wrr';
  }

  constructor(id: number, k: ServiceKey, schedName: string, scheduler: Scheduler) {
    this.id = id;
    if (k.fwmark !== undefined) {
      this.proto = IPPROTO_TCP;
      this.addr = k.af === 4 ? ip4(0) : ip6(0, 0, 0, 0);
      this.port = 0;
      this.fwmark = k.fwmark;
    } else {
      this.proto = k.proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
      this.addr = k.addr;
      this.port = k.port;
      this.fwmark = 0;
    }
    this.schedName = schedName;
    this.scheduler = scheduler;
    this.netmaskPlen = this.addr.af === 4 ? 32 : 128;
  }

  get protoName(): L4Proto {
    return this.proto === IPPROTO_TCP ? 'tcp' : 'udp';
  }

  /** The key ipvsadm names this service by: -f MARK [-6], or -t|-u VIP:port. */
  get key(): ServiceKey {
    if (this.fwmark !== 0) return { fwmark: this.fwmark, af: this.addr.af };
    return { proto: this.protoName, addr: this.addr, port: this.port };
  }
}
