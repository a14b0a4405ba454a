// A virtual service (VIP:port/proto): options, its dests in ipvsadm order, its FullNAT local
// addresses, and its scheduler instance. Control-plane object read by the new-connection path.

import type { L4Proto } from '../control/commands.js';
import type { IpAddr } from '../packet/inet.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../packet/proto.js';
import type { Dest } from './dest.js';
import type { LocalAddr } from './laddr.js';
import type { Scheduler, SchedServiceView } from './sched/types.js';

export class Service implements SchedServiceView {
  readonly id: number;
  readonly proto: number;
  readonly addr: IpAddr;
  readonly port: number;
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

  constructor(id: number, proto: L4Proto, addr: IpAddr, port: number, schedName: string, scheduler: Scheduler) {
    this.id = id;
    this.proto = proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
    this.addr = addr;
    this.port = port;
    this.schedName = schedName;
    this.scheduler = scheduler;
    this.netmaskPlen = addr.af === 4 ? 32 : 128;
  }

  get protoName(): L4Proto {
    return this.proto === IPPROTO_TCP ? 'tcp' : 'udp';
  }
}
