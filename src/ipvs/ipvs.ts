// The IPVS core of one worker: services, dests and local addresses; connection lookup,
// scheduling, state transitions and expiry. Frame rewriting is in xmit.ts, ICMP in icmp.ts.

import type { DestOptions, L4Proto, ServiceKey, ServiceOptions } from '../control/commands.js';
import { serviceName } from '../control/service-key.js';
import { TsvsError } from '../errors.js';
import { Drop } from '../packet/drop-reason.js';
import { type IpAddr, formatIp, formatIpPort, ipEquals, wordMask } from '../packet/inet.js';
import { type PacketInfo, l4ChecksumOk } from '../packet/parse.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet/proto.js';
import { AddrMap } from '../netif/addr-map.js';
import type { Stack } from '../netif/stack.js';
import {
  CONN_F_EXPIRE_QUIESCENT, CONN_F_INACTIVE, CONN_F_IN_V6, CONN_F_NO_OUT, CONN_F_ONE_PACKET, CONN_F_OUT_V6, CONN_F_TEMPLATE,
  CONN_WORDS, ConnTable, W_CTL, W_CVPORT, W_DEST, W_DLPORT, W_FLAGS, W_PSM, W_TIMEOUT,
} from './conn-table.js';
import { Dest, FWD_DR, FWD_FNAT, FWD_TUNNEL, fwdCode, tunCode } from './dest.js';
import { LocalAddr, laddrBucket } from './laddr.js';
import {
  DEFAULT_CONN_INIT_TIMEOUT, DEFAULT_TCP_TIMEOUTS, DEFAULT_UDP_TIMEOUTS, TCP_S_CLOSE, TCP_S_ESTABLISHED, TCP_S_FIN_WAIT,
  TCP_S_TIME_WAIT, TCP_STATE_KEYS, TCP_TABLE_IN, TCP_TABLE_IN_ONLY, TCP_TABLE_OUT, UDP_S_NONE, UDP_S_NORMAL, UDP_S_ONEWAY,
  UDP_STATE_KEYS, tcpNextState,
} from './proto.js';
import { createScheduler } from './sched/registry.js';
import type { SchedInput } from './sched/types.js';
import { Service } from './service.js';
import { IpvsStats, ST_CONNS, ST_FIELDS, ST_INBYTES, ST_INPKTS, ST_OUTBYTES, ST_OUTPKTS } from './stats.js';
import { Xmit } from './xmit.js';
import { icmpRelated } from './icmp.js';

/** The packet is not IPVS's: the stack handles it (local delivery, kernel, forwarding). */
export const V_ACCEPT = 0;
/** IPVS consumed the packet: sent, queued or dropped (and counted). */
export const V_STOLEN = 1;

/** ipvsadm's default persistence timeout (IPVS_SVC_PERSISTENT_TIMEOUT). */
export const DEFAULT_PERSISTENT_TIMEOUT = 360;

export class IpvsSettings {
  readonly tcpTimeouts = Uint32Array.from(DEFAULT_TCP_TIMEOUTS);
  readonly udpTimeouts = Uint32Array.from(DEFAULT_UDP_TIMEOUTS);
  connInitTimeout = DEFAULT_CONN_INIT_TIMEOUT;
  /** net.ipv4.vs.expire_nodest_conn: 0 drops packets of conns whose dest was deleted; 1 expires them. */
  expireNodestConn = 0;
  /** DPVS ipvs_defs/conn/expire_quiescent_template (kernel sysctl of the same name). */
  expireQuiescentTemplate = 0;
  /** net.ipv4.vs.conn_reuse_mode: bit 0 reschedules a SYN on a TIME_WAIT/CLOSE conn; bit 1 also FIN_WAIT for DR/TUN. */
  connReuseMode = 1;
  /** Check TCP/UDP checksums of packets IPVS handles (off when a NIC has verified them). */
  verifyL4Checksum = true;
  /** Secret for FullNAT initial sequence numbers (the daemon draws one per start, or takes tsvs.conf's). */
  seqSecret = 0x5eed1234;
  /**
   * Added to the clock for the ISN's clock term: the daemon makes it wall time, so the ISNs a
   * restarted or standby node sends for a reused LIP:port keep growing, as a TIME_WAIT RS requires.
   */
  isnClockOffsetMs = 0;
  /** Rotates each LIP's free-port rings (0: ports from LPORT_MIN up, as in tests and replay). */
  lportSeed = 0;
}

function svcKey(af: number, proto: number, w0: number, w1: number, w2: number, w3: number, port: number): number {
  // A hash, verified by every lookup. An int32 (small integer) key: a key above 2^31 would be
  // boxed as a heap number on each Map lookup, i.e. garbage on every new connection.
  let h = Math.imul(w0 ^ (af === 6 ? 0x3c6ef372 : 0), 0x9e3779b1);
  if (af === 6) h ^= Math.imul(w1 ^ (w2 << 5) ^ (w3 >>> 3), 0x85ebca6b) ^ w2 ^ w3;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) ^ ((port << 1) | (proto === IPPROTO_UDP ? 1 : 0));
  return h ^ (h >>> 13);
}

export class Ipvs {
  readonly settings = new IpvsSettings();
  readonly stats: IpvsStats;
  readonly services: (Service | null)[] = [];
  readonly dests: (Dest | null)[] = [];
  private readonly svcByKey = new Map<number, Service[]>();
  /** VIP address -> number of services on it (for ARP/ND/echo answers). */
  private readonly vipRefs = new AddrMap<number>();
  /** FullNAT local addresses by LIP, shared by the services that list them. */
  readonly laddrs = new AddrMap<LocalAddr>();
  private readonly laddrRefs = new Map<LocalAddr, number>();
  private readonly schedIn: SchedInput = {
    af: 4, proto: 0, srcW0: 0, srcW1: 0, srcW2: 0, srcW3: 0, srcPort: 0,
    dstW0: 0, dstW1: 0, dstW2: 0, dstW3: 0, dstPort: 0, nowMs: 0,
  };
  readonly xmit: Xmit;
  private readonly expireFn: (i: number) => void;
  private lastDrop = 0;

  constructor(
    readonly stack: Stack,
    readonly conns: ConnTable,
    readonly worker = 0,
    readonly workers = 1,
    stats = new IpvsStats(),
  ) {
    this.stats = stats;
    this.xmit = new Xmit(this);
    this.expireFn = (i) => this.expire(i, false);
    stack.isVip = (af, w0, w1, w2, w3) => this.vipRefs.getW(af, w0, w1, w2, w3) !== undefined;
    conns.startClock(stack.clock.now());
  }

  // =================================================================== configuration

  findService(k: ServiceKey): Service | undefined {
    // Fwmark services are few and never looked up by packets: a scan, outside svcByKey.
    if (k.fwmark !== undefined) return this.services.find((s) => s !== null && s.fwmark === k.fwmark && s.addr.af === k.af) ?? undefined;
    const p = k.proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
    const list = this.svcByKey.get(svcKey(k.addr.af, p, k.addr.w0, k.addr.w1, k.addr.w2, k.addr.w3, k.port));
    return list?.find((s) => s.proto === p && s.port === k.port && ipEquals(s.addr, k.addr));
  }

  service(k: ServiceKey): Service {
    const s = this.findService(k);
    if (!s) throw new TsvsError('TSVS_ERR_NO_SERVICE', `No such service: ${serviceName(k)}`);
    return s;
  }

  addService(k: ServiceKey, o: ServiceOptions): Service {
    if (this.findService(k)) throw new TsvsError('TSVS_ERR_SERVICE_EXISTS', `Service already exists: ${serviceName(k)}`);
    if (k.fwmark === undefined && k.port === 0 && o.persistent === undefined) {
      throw new TsvsError('TSVS_ERR_INVALID_ARG', 'Zero port specified for non-persistent service');
    }
    const sched = createScheduler(o.scheduler);
    let id = this.services.indexOf(null);
    if (id < 0) id = this.services.length;
    const s = new Service(id, k, o.scheduler, sched);
    this.applyServiceOptions(s, o);
    this.services[id] = s;
    this.stats.ensureSvc(id);
    this.stats.zeroSvc(id);
    // Only address services enter the packet lookup and own a VIP; a fwmark service has neither.
    if (s.fwmark === 0) {
      const key = svcKey(s.addr.af, s.proto, s.addr.w0, s.addr.w1, s.addr.w2, s.addr.w3, s.port);
      const list = this.svcByKey.get(key);
      if (list) list.push(s);
      else this.svcByKey.set(key, [s]);
      this.vipRefs.set(s.addr, (this.vipRefs.get(s.addr) ?? 0) + 1);
    }
    sched.update(s);
    return s;
  }

  private applyServiceOptions(s: Service, o: Partial<ServiceOptions>): void {
    if (o.persistent !== undefined) s.persistentMs = o.persistent * 1000;
    if (o.netmaskPlen !== undefined) s.netmaskPlen = o.netmaskPlen;
    if (o.ops !== undefined) s.ops = o.ops;
    if (o.schedFlags !== undefined) s.flags = new Set(o.schedFlags);
    if (o.connTimeout !== undefined) s.connTimeout = o.connTimeout;
    if (o.expireQuiescent !== undefined) s.expireQuiescent = o.expireQuiescent;
    if (o.hashTarget !== undefined) s.hashTarget = o.hashTarget;
  }

  editService(k: ServiceKey, o: Partial<ServiceOptions>): void {
    const s = this.service(k);
    if (o.scheduler !== undefined && o.scheduler !== s.schedName) {
      s.scheduler = createScheduler(o.scheduler);
      s.schedName = o.scheduler;
    }
    this.applyServiceOptions(s, o);
    s.scheduler.update(s);
  }

  deleteService(k: ServiceKey): void {
    const s = this.service(k);
    for (const d of [...s.dests]) this.unlinkDest(s, d);
    for (const la of [...s.laddrs]) this.releaseLaddr(la);
    s.laddrs = [];
    if (s.fwmark === 0) {
      const key = svcKey(s.addr.af, s.proto, s.addr.w0, s.addr.w1, s.addr.w2, s.addr.w3, s.port);
      const list = this.svcByKey.get(key)!;
      list.splice(list.indexOf(s), 1);
      if (list.length === 0) this.svcByKey.delete(key);
      const n = this.vipRefs.get(s.addr)! - 1;
      if (n === 0) this.vipRefs.delete(s.addr);
      else this.vipRefs.set(s.addr, n);
    }
    this.services[s.id] = null;
  }

  clear(): void {
    for (const s of this.services) {
      if (s) this.deleteService(s.key);
    }
  }

  findDest(s: Service, addr: IpAddr, port: number): Dest | undefined {
    return s.dests.find((d) => d.port === port && ipEquals(d.addr, addr));
  }

  addDest(k: ServiceKey, addr: IpAddr, port: number, o: DestOptions): Dest {
    const s = this.service(k);
    const dport = port === 0 ? s.port : port;
    if (this.findDest(s, addr, dport)) throw new TsvsError('TSVS_ERR_DEST_EXISTS', `Destination already exists: ${formatIpPort(addr, dport)}`);
    const method = fwdCode(o.method);
    if (addr.af !== s.addr.af && method !== FWD_FNAT) {
      throw new TsvsError('TSVS_ERR_INVALID_ARG', `a ${addr.af === 4 ? 'IPv4' : 'IPv6'} real server on an IPv${s.addr.af} service needs FullNAT (-b, NAT64)`);
    }
    if (addr.af === 6 && s.addr.af === 4) {
      throw new TsvsError('TSVS_ERR_UNSUPPORTED', 'IPv4 services with IPv6 real servers (NAT46) are not supported; NAT64 is (IPv6 VIP, IPv4 real servers)');
    }
    if ((method === FWD_DR || method === FWD_TUNNEL) && dport !== s.port && s.port !== 0) {
      throw new TsvsError('TSVS_ERR_INVALID_ARG', 'DR and tunnel forwarding cannot change the port: the real server port must equal the virtual port');
    }
    let id = this.dests.indexOf(null);
    if (id < 0) id = this.dests.length;
    const d = new Dest(id, s, addr, dport, method, o.weight);
    this.applyDestOptions(d, o);
    this.dests[id] = d;
    this.stats.ensureDest(id);
    this.stats.zeroDest(id);
    s.dests.push(d);
    s.scheduler.update(s);
    return d;
  }

  private applyDestOptions(d: Dest, o: Partial<DestOptions>): void {
    if (o.method !== undefined) d.method = fwdCode(o.method);
    if (o.weight !== undefined) d.weight = o.weight;
    if (o.uThreshold !== undefined) d.uThreshold = o.uThreshold;
    if (o.lThreshold !== undefined) d.lThreshold = o.lThreshold;
    if (o.tunType !== undefined) d.tunType = tunCode(o.tunType);
    if (o.tunPort !== undefined) d.tunPort = o.tunPort;
    if (o.tunCsum !== undefined) d.tunCsum = o.tunCsum !== 'nocsum';
    // Thresholds changed: re-evaluate the flag as the kernel does on edit.
    if (d.uThreshold === 0 && d.lThreshold === 0) d.overloaded = false;
    else if (d.uThreshold > 0 && d.activeConns + d.inactConns >= d.uThreshold) d.overloaded = true;
  }

  editDest(k: ServiceKey, addr: IpAddr, port: number, o: Partial<DestOptions>): void {
    const s = this.service(k);
    const d = this.findDest(s, addr, port === 0 ? s.port : port);
    if (!d) throw new TsvsError('TSVS_ERR_NO_DEST', `No such destination: ${formatIpPort(addr, port === 0 ? s.port : port)}`);
    this.applyDestOptions(d, o);
    s.scheduler.update(s);
  }

  deleteDest(k: ServiceKey, addr: IpAddr, port: number): void {
    const s = this.service(k);
    const d = this.findDest(s, addr, port === 0 ? s.port : port);
    if (!d) throw new TsvsError('TSVS_ERR_NO_DEST', `No such destination: ${formatIpPort(addr, port === 0 ? s.port : port)}`);
    this.unlinkDest(s, d);
  }

  /**
   * Takes a dest out of its service. Connections that still point at it keep it alive
   * (unavailable) until they expire, like the kernel's dest trash.
   */
  private unlinkDest(s: Service, d: Dest): void {
    s.dests.splice(s.dests.indexOf(d), 1);
    d.available = false;
    s.scheduler.update(s);
    if (d.refs === 0) this.dests[d.id] = null;
  }

  addLaddr(k: ServiceKey, addr: IpAddr, portIdx: number): LocalAddr {
    const s = this.service(k);
    if (s.laddrs.some((l) => ipEquals(l.addr, addr))) {
      throw new TsvsError('TSVS_ERR_LADDR_EXISTS', `local address ${formatIp(addr)} already in the pool of this service`);
    }
    let la = this.laddrs.get(addr);
    if (!la) {
      la = new LocalAddr(addr, portIdx, this.worker, this.workers, this.settings.lportSeed);
      this.laddrs.set(addr, la);
    }
    this.laddrRefs.set(la, (this.laddrRefs.get(la) ?? 0) + 1);
    s.laddrs.push(la);
    return la;
  }

  delLaddr(k: ServiceKey, addr: IpAddr): LocalAddr {
    const s = this.service(k);
    const i = s.laddrs.findIndex((l) => ipEquals(l.addr, addr));
    if (i < 0) throw new TsvsError('TSVS_ERR_NO_LADDR', `local address ${formatIp(addr)} is not in the pool of this service`);
    const la = s.laddrs[i]!;
    s.laddrs.splice(i, 1);
    this.releaseLaddr(la);
    return la;
  }

  /** True while some service still lists this LIP. */
  laddrInUse(addr: IpAddr): boolean {
    const la = this.laddrs.get(addr);
    return la !== undefined && (this.laddrRefs.get(la) ?? 0) > 0;
  }

  private releaseLaddr(la: LocalAddr): void {
    const n = (this.laddrRefs.get(la) ?? 1) - 1;
    this.laddrRefs.set(la, n);
    // The pool outlives its last service while connections still hold ports on it.
    if (n === 0 && la.conns === 0) {
      this.laddrRefs.delete(la);
      this.laddrs.delete(la.addr);
    }
  }

  zero(k?: ServiceKey): void {
    for (const s of this.services) {
      if (!s || (k && s !== this.service(k))) continue;
      this.stats.zeroSvc(s.id);
      for (const d of s.dests) this.stats.zeroDest(d.id);
    }
  }

  /** `tsvs set KEY VALUE` for the IPVS keys; returns false when the key is not IPVS's. */
  set(key: string, value: number): boolean {
    const st = this.settings;
    const tcp = /^ipvs_defs\.tcp\.timeout\.(\w+)$/.exec(key);
    if (tcp) {
      const i = (TCP_STATE_KEYS as readonly string[]).indexOf(tcp[1]!);
      if (i < 0) return false;
      st.tcpTimeouts[i] = value;
      return true;
    }
    const udp = /^ipvs_defs\.udp\.timeout\.(\w+)$/.exec(key);
    if (udp) {
      const i = (UDP_STATE_KEYS as readonly string[]).indexOf(udp[1]!);
      if (i < 0) return false;
      st.udpTimeouts[i] = value;
      return true;
    }
    switch (key) {
      case 'ipvs_defs.conn.conn_init_timeout': st.connInitTimeout = value; return true;
      case 'ipvs_defs.conn.expire_quiescent_template': st.expireQuiescentTemplate = value; return true;
      case 'net.ipv4.vs.expire_nodest_conn': st.expireNodestConn = value; return true;
      case 'net.ipv4.vs.conn_reuse_mode': st.connReuseMode = value; return true;
      default: return false;
    }
  }

  /** ipvsadm --set tcp tcpfin udp (0 keeps the current value). */
  setTimeouts(tcp: number, tcpfin: number, udp: number): void {
    const st = this.settings;
    if (tcp > 0) st.tcpTimeouts[TCP_S_ESTABLISHED] = tcp;
    if (tcpfin > 0) st.tcpTimeouts[TCP_S_FIN_WAIT] = tcpfin;
    if (udp > 0) {
      st.udpTimeouts[UDP_S_ONEWAY] = udp;
      st.udpTimeouts[UDP_S_NORMAL] = udp;
    }
  }

  // =================================================================== data path

  /** Service for a packet's destination: exact port first, then a persistent port-0 service. */
  lookupService(af: number, proto: number, d0: number, d1: number, d2: number, d3: number, dport: number): Service | null {
    let s = this.lookupServiceExact(af, proto, d0, d1, d2, d3, dport);
    if (s === null) s = this.lookupServiceExact(af, proto, d0, d1, d2, d3, 0);
    return s;
  }

  private lookupServiceExact(af: number, proto: number, d0: number, d1: number, d2: number, d3: number, port: number): Service | null {
    const list = this.svcByKey.get(svcKey(af, proto, d0, d1, d2, d3, port));
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      const a = s.addr;
      if (s.proto === proto && s.port === port && a.af === af && a.w0 === d0 && a.w1 === d1 && a.w2 === d2 && a.w3 === d3) return s;
    }
    return null;
  }

  private dropPkt(reason: number, port: number): number {
    this.stack.drop(reason as never, port);
    this.lastDrop = reason;
    return V_STOLEN;
  }

  /**
   * IPVS input for an IP packet from `port`. Returns V_ACCEPT when the packet is not IPVS's.
   * The established-connection case stays on a short path of small functions (V8 inlines them);
   * everything else (ICMP, fragments, SYNs, new and overdue connections) goes to inputSlow.
   */
  input(pi: PacketInfo, port: number): number {
    const proto = pi.l4Proto;
    if ((proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) || pi.isFragment) return this.inputOther(pi, port);
    // Address words go in as int32 (small integers), not as heap numbers: see conn-table.ts.
    const ent = this.conns.lookup(proto, pi.sW0 | 0, pi.sW1 | 0, pi.sW2 | 0, pi.sW3 | 0, pi.sport, pi.dW0 | 0, pi.dW1 | 0, pi.dW2 | 0, pi.dW3 | 0, pi.dport, false);
    const now = this.stack.clock.now();
    if (ent < 0 || this.conns.isDue(ent >> 1, now)
      || (proto === IPPROTO_TCP && (pi.tcpFlags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) === TCP_SYN)) {
      return this.inputSlow(pi, port, ent, now);
    }
    if (this.settings.verifyL4Checksum && !l4ChecksumOk(pi)) return this.dropPkt(Drop.L4_BAD_CSUM, port);
    return this.established(pi, port, ent >> 1, ent & 1, now);
  }

  /** ICMP (related errors), other protocols and fragments. */
  private inputOther(pi: PacketInfo, port: number): number {
    const proto = pi.l4Proto;
    if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) return icmpRelated(this, pi, port);
    if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return V_ACCEPT;
    // DPVS drops every fragment bound for IPVS: the flow's other fragments could reach another worker.
    if (this.vipRefs.getW(pi.af, pi.dW0, pi.dW1, pi.dW2, pi.dW3) !== undefined || this.laddrs.getW(pi.af, pi.dW0, pi.dW1, pi.dW2, pi.dW3) !== undefined) {
      return this.dropPkt(Drop.FRAGMENT, port);
    }
    return V_ACCEPT;
  }

  /** No connection, an overdue one, or a bare SYN (which may reuse a closing connection). */
  private inputSlow(pi: PacketInfo, port: number, ent: number, now: number): number {
    const ct = this.conns;
    const proto = pi.l4Proto;
    if (ent >= 0 && this.overdue(ent >> 1, now)) ent = -1;
    if (ent >= 0 && proto === IPPROTO_TCP && (ent & 1) === 0 && (pi.tcpFlags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) === TCP_SYN) {
      const i = ent >> 1;
      const st = ct.state(i);
      const m = ct.method(i);
      // A new SYN on a closing connection: a client reusing its port. Reschedule (conn_reuse_mode).
      if ((this.settings.connReuseMode & 1) !== 0 && (st === TCP_S_TIME_WAIT || st === TCP_S_CLOSE
        || ((this.settings.connReuseMode & 2) !== 0 && st === TCP_S_FIN_WAIT && (m === FWD_DR || m === FWD_TUNNEL)))) {
        this.expire(i, true);
        ent = -1;
      }
    }
    if (ent < 0) {
      const svc = this.lookupService(pi.af, proto, pi.dW0, pi.dW1, pi.dW2, pi.dW3, pi.dport);
      if (svc === null) return V_ACCEPT;
      if (this.settings.verifyL4Checksum && !l4ChecksumOk(pi)) return this.dropPkt(Drop.L4_BAD_CSUM, port);
      if (proto === IPPROTO_TCP && (pi.tcpFlags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) !== TCP_SYN) {
        // Only a bare SYN opens a connection; anything else to a VIP has no business here.
        return this.dropPkt(Drop.NOT_SYN, port);
      }
      const i = this.schedule(svc, pi, now, port);
      if (i < 0) return V_STOLEN;
      return this.established(pi, port, i, 0, now);
    }
    if (this.settings.verifyL4Checksum && !l4ChecksumOk(pi)) return this.dropPkt(Drop.L4_BAD_CSUM, port);
    return this.established(pi, port, ent >> 1, ent & 1, now);
  }

  /** A packet of connection i in direction dir: state, counters, expiry, transmission. */
  private established(pi: PacketInfo, port: number, i: number, dir: number, now: number): number {
    const ct = this.conns;
    const c = ct.rec;
    const r = i * CONN_WORDS;
    const d = this.dests[c[r + W_DEST]!]!;
    if (!d.available || ((c[r + W_FLAGS]! & CONN_F_EXPIRE_QUIESCENT) !== 0 && d.weight === 0)) return this.destUnusable(i, d, port);
    if (pi.l4Proto === IPPROTO_TCP) this.tcpTransition(i, d, dir, pi.tcpFlags);
    else this.udpTransition(i, d, dir);
    const len = pi.ipEnd - pi.l3Off;
    const st = this.stats;
    const dk = d.id * ST_FIELDS;
    const sk = d.svc.id * ST_FIELDS;
    if (dir === 0) {
      st.dest[dk + ST_INPKTS]++;
      st.dest[dk + ST_INBYTES] += len;
      st.svc[sk + ST_INPKTS]++;
      st.svc[sk + ST_INBYTES] += len;
    } else {
      st.dest[dk + ST_OUTPKTS]++;
      st.dest[dk + ST_OUTBYTES] += len;
      st.svc[sk + ST_OUTPKTS]++;
      st.svc[sk + ST_OUTBYTES] += len;
    }
    ct.rearm(i, now + c[r + W_TIMEOUT]! * 1000);
    const x = dir === 0 ? this.xmit.inbound(pi, port, i, d) : this.xmit.outbound(pi, port, i, d);
    if (x !== Drop.NONE) this.dropPkt(x, port);
    if ((c[r + W_FLAGS]! & CONN_F_ONE_PACKET) !== 0) this.expire(i, true);
    return V_STOLEN;
  }

  /** The conn's dest was deleted, or is quiescent under expire_quiescent: drop (and maybe expire). */
  private destUnusable(i: number, d: Dest, port: number): number {
    if (!d.available) {
      if (this.settings.expireNodestConn !== 0) this.expire(i, true);
      return this.dropPkt(Drop.DEST_GONE, port);
    }
    this.expire(i, true);
    return this.dropPkt(Drop.QUIESCENT_EXPIRED, port);
  }

  private tcpTransition(i: number, d: Dest, dir: number, flags: number): void {
    const c = this.conns.rec;
    const r = i * CONN_WORDS;
    const psm = c[r + W_PSM]!;
    const m = psm >> 16;
    const table = m === FWD_DR || m === FWD_TUNNEL ? TCP_TABLE_IN_ONLY : dir === 0 ? TCP_TABLE_IN : TCP_TABLE_OUT;
    const old = (psm >> 8) & 255;
    const nw = tcpNextState(table, old, flags);
    if (nw === old) return;
    c[r + W_PSM] = (psm & ~0xff00) | (nw << 8);
    const svc = d.svc;
    c[r + W_TIMEOUT] = nw === TCP_S_ESTABLISHED && svc.connTimeout > 0 ? svc.connTimeout : this.settings.tcpTimeouts[nw]!;
    // Active means ESTABLISHED; everything else counts as inactive (DPVS tcp_state_trans).
    const f = c[r + W_FLAGS]!;
    if ((f & CONN_F_INACTIVE) === 0 && nw !== TCP_S_ESTABLISHED) {
      d.activeConns--;
      d.inactConns++;
      c[r + W_FLAGS] = f | CONN_F_INACTIVE;
    } else if ((f & CONN_F_INACTIVE) !== 0 && nw === TCP_S_ESTABLISHED) {
      d.activeConns++;
      d.inactConns--;
      c[r + W_FLAGS] = f & ~CONN_F_INACTIVE;
    }
  }

  private udpTransition(i: number, d: Dest, dir: number): void {
    const ct = this.conns;
    if (dir === 1) ct.setState(i, UDP_S_NORMAL);
    else if (ct.state(i) === UDP_S_NONE) ct.setState(i, UDP_S_ONEWAY);
    const t = d.svc.connTimeout;
    ct.rec[i * CONN_WORDS + W_TIMEOUT] = t > 0 ? t : this.settings.udpTimeouts[ct.state(i)]!;
  }

  /**
   * Picks a dest (through the persistence template when there is one) and creates the
   * connection. Returns its slot, or -1 after counting why it could not.
   */
  private schedule(svc: Service, pi: PacketInfo, now: number, port: number): number {
    const ct = this.conns;
    const proto = pi.l4Proto;
    let d: Dest | null = null;
    let tmpl = -1;
    if (svc.persistentMs > 0) {
      const plen = svc.netmaskPlen;
      // The client's network (maskIp without the object): int32 words.
      const m0 = pi.sW0 & wordMask(plen);
      const m1 = pi.af === 4 ? 0 : pi.sW1 & wordMask(plen - 32);
      const m2 = pi.af === 4 ? 0 : pi.sW2 & wordMask(plen - 64);
      const m3 = pi.af === 4 ? 0 : pi.sW3 & wordMask(plen - 96);
      const tport = svc.port === 0 ? 0 : pi.dport;
      const t = ct.lookup(proto, m0, m1, m2, m3, 0, pi.dW0 | 0, pi.dW1 | 0, pi.dW2 | 0, pi.dW3 | 0, tport, true);
      if (t >= 0 && !this.overdue(t >> 1, now)) {
        tmpl = t >> 1;
        const td = this.dests[ct.dest(tmpl)]!;
        // ip_vs_check_template: a template to a gone (or, if asked, quiescent) dest is dropped.
        if (!td.available || (td.weight === 0 && this.settings.expireQuiescentTemplate !== 0)) {
          this.expire(tmpl, true);
          tmpl = -1;
        } else {
          d = td;
          ct.setExpires(tmpl, now + ct.timeout(tmpl) * 1000);
        }
      }
      if (tmpl < 0) {
        d = this.pickDest(svc, pi, now);
        if (d === null) { this.dropPkt(Drop.NO_DEST, port); return -1; }
        tmpl = this.createTemplate(svc, d, pi, m0, m1, m2, m3, tport, now);
        if (tmpl < 0) { this.dropPkt(Drop.CONN_TABLE_FULL, port); return -1; }
      }
    } else {
      d = this.pickDest(svc, pi, now);
      if (d === null) { this.dropPkt(Drop.NO_DEST, port); return -1; }
    }
    return this.createConn(svc, d!, pi, tmpl, now, port);
  }

  private pickDest(svc: Service, pi: PacketInfo, now: number): Dest | null {
    const si = this.schedIn;
    si.af = pi.af as 4 | 6;
    si.proto = pi.l4Proto;
    si.srcW0 = pi.sW0; si.srcW1 = pi.sW1; si.srcW2 = pi.sW2; si.srcW3 = pi.sW3; si.srcPort = pi.sport;
    si.dstW0 = pi.dW0; si.dstW1 = pi.dW1; si.dstW2 = pi.dW2; si.dstW3 = pi.dW3; si.dstPort = pi.dport;
    si.nowMs = now;
    return svc.scheduler.schedule(svc, si) as Dest | null;
  }

  private createTemplate(svc: Service, d: Dest, pi: PacketInfo, m0: number, m1: number, m2: number, m3: number, tport: number, now: number): number {
    const ct = this.conns;
    const t = ct.alloc(pi.af === 6);
    if (t < 0) return -1;
    ct.setFlags(t, ct.flags(t) | CONN_F_TEMPLATE | CONN_F_NO_OUT);
    ct.setProtoStateMethod(t, pi.l4Proto, 0, d.method);
    ct.setAddr(t, 0, m0, m1, m2, m3);
    ct.setAddr(t, 1, pi.dW0, pi.dW1, pi.dW2, pi.dW3);
    ct.setAddr(t, 2, 0, 0, 0, 0);
    ct.setAddr(t, 3, d.a0, d.a1, d.a2, d.a3);
    ct.setPorts(t, 0, tport, 0, d.port);
    const r = t * CONN_WORDS;
    ct.rec[r + W_DEST] = d.id;
    ct.rec[r + W_CTL] = 0;
    ct.rec[r + W_TIMEOUT] = svc.persistentMs / 1000;
    ct.setExpires(t, now + svc.persistentMs);
    d.persistConns++;
    d.refs++;
    ct.hashConn(t);
    ct.link(t);
    return t;
  }

  private createConn(svc: Service, d: Dest, pi: PacketInfo, tmpl: number, now: number, port: number): number {
    const ct = this.conns;
    const v6 = pi.af === 6 || d.af === 6;
    const i = ct.alloc(v6);
    if (i < 0) { this.dropPkt(Drop.CONN_TABLE_FULL, port); return -1; }
    const c = ct.rec;
    const r = i * CONN_WORDS;
    c[r + W_PSM] = pi.l4Proto | (d.method << 16);
    ct.setAddr(i, 0, pi.sW0, pi.sW1, pi.sW2, pi.sW3);
    ct.setAddr(i, 1, pi.dW0, pi.dW1, pi.dW2, pi.dW3);
    ct.setAddr(i, 3, d.a0, d.a1, d.a2, d.a3);
    const dport = d.port === 0 ? pi.dport : d.port;
    let lport: number;
    let f = c[r + W_FLAGS]! | CONN_F_INACTIVE;
    if (pi.af === 6) f |= CONN_F_IN_V6;
    if (d.af === 6) f |= CONN_F_OUT_V6;
    if (d.method === FWD_FNAT) {
      lport = this.bindLaddr(svc, d, i, dport, port);
      if (lport < 0) return -1;
    } else {
      // NAT replies come back to the client's own address and port; DR/TUN replies never do.
      ct.setAddr(i, 2, pi.sW0, pi.sW1, pi.sW2, pi.sW3);
      lport = pi.sport;
      if (d.method === FWD_DR || d.method === FWD_TUNNEL) f |= CONN_F_NO_OUT;
    }
    c[r + W_CVPORT] = (pi.sport << 16) | pi.dport;
    c[r + W_DLPORT] = (dport << 16) | lport;
    if (svc.ops && pi.l4Proto === IPPROTO_UDP) f |= CONN_F_ONE_PACKET;
    if (svc.expireQuiescent) f |= CONN_F_EXPIRE_QUIESCENT;
    c[r + W_FLAGS] = f;
    c[r + W_DEST] = d.id;
    c[r + W_CTL] = tmpl;
    if (tmpl >= 0) c[tmpl * CONN_WORDS + W_CTL]++;
    c[r + W_TIMEOUT] = this.settings.connInitTimeout;
    ct.setExpires(i, now + this.settings.connInitTimeout * 1000);
    d.inactConns++;
    d.refs++;
    d.checkOverloadOnBind();
    this.stats.dest[d.id * ST_FIELDS + ST_CONNS]++;
    this.stats.svc[svc.id * ST_FIELDS + ST_CONNS]++;
    ct.hashConn(i);
    ct.link(i);
    return i;
  }

  /**
   * FullNAT: picks a LIP of the dest's family and takes a local port on it for conn i, storing
   * the LIP. Returns the port, or -1 after releasing the slot and counting the drop.
   */
  private bindLaddr(svc: Service, d: Dest, i: number, dport: number, port: number): number {
    const ct = this.conns;
    const n = svc.laddrs.length;
    let lport = -1;
    let la: LocalAddr | null = null;
    const bucket = laddrBucket(d.a0, d.a1, d.a2, d.a3, dport);
    // Under rr/wrr the LIP cursor and the scheduler advance in lock step, so with as many
    // LIPs as real servers each RS would only ever see one LIP. DPVS skips a LIP on 5% of
    // binds at random; we skip on every 20th bind, the same rate, deterministically.
    if (n > 1 && svc.lockstepSched && ++svc.laddrBinds % 20 === 0) svc.laddrCursor++;
    for (let k = 0; k < n && lport < 0; k++) {
      const cand = svc.laddrs[svc.laddrCursor++ % n]!;
      if (cand.addr.af !== d.af) continue;
      la = cand;
      lport = cand.take(bucket);
    }
    if (lport < 0) {
      ct.release(i);
      this.dropPkt(la === null ? Drop.NO_LADDR : Drop.NO_LPORT, port);
      return -1;
    }
    const a = la!.addr;
    ct.setAddr(i, 2, a.w0 | 0, a.w1 | 0, a.w2 | 0, a.w3 | 0);
    return lport;
  }

  /**
   * Removes a connection or template. From the timer wheel (`now` false) it is already due; a
   * template still controlling connections is re-armed instead, as the kernel does.
   */
  expire(i: number, now: boolean): void {
    const ct = this.conns;
    const c = ct.rec;
    const r = i * CONN_WORDS;
    const f = c[r + W_FLAGS]!;
    if (!now && (f & CONN_F_TEMPLATE) !== 0 && c[r + W_CTL]! > 0) {
      ct.unlink(i);
      ct.setExpires(i, this.stack.clock.now() + c[r + W_TIMEOUT]! * 1000);
      ct.link(i);
      return;
    }
    ct.unlink(i);
    ct.unhashConn(i);
    const d = this.dests[c[r + W_DEST]!]!;
    if ((f & CONN_F_TEMPLATE) !== 0) {
      d.persistConns--;
    } else {
      if ((f & CONN_F_INACTIVE) !== 0) d.inactConns--;
      else d.activeConns--;
      d.checkOverloadOnUnbind();
      const t = c[r + W_CTL]!;
      if (t >= 0) c[t * CONN_WORDS + W_CTL]--;
      if (ct.method(i) === FWD_FNAT) {
        const la = this.laddrs.getW(d.af, ct.addrWord(i, 2, 0), ct.addrWord(i, 2, 1), ct.addrWord(i, 2, 2), ct.addrWord(i, 2, 3));
        if (la !== undefined) {
          la.give(laddrBucket(d.a0, d.a1, d.a2, d.a3, ct.port(i, 3)), ct.port(i, 2));
          if (la.conns === 0 && !this.laddrRefs.has(la)) this.laddrs.delete(la.addr);
          else if (la.conns === 0 && this.laddrRefs.get(la) === 0) {
            this.laddrRefs.delete(la);
            this.laddrs.delete(la.addr);
          }
        }
      }
    }
    d.refs--;
    if (!d.available && d.refs === 0) this.dests[d.id] = null;
    ct.release(i);
  }

  /**
   * A connection or template that lookup found although its time is up: its wheel slot (100 ms)
   * has not come round yet. Expires it now, so that timeouts hold to the millisecond; a template
   * still controlling connections is left for the wheel to re-arm.
   */
  overdue(i: number, now: number): boolean {
    const ct = this.conns;
    if (!ct.isDue(i, now)) return false;
    if ((ct.flags(i) & CONN_F_TEMPLATE) !== 0 && ct.rec[i * CONN_WORDS + W_CTL]! > 0) return false;
    this.expire(i, true);
    return true;
  }

  /** Timer work: expire due connections. */
  tick(nowMs: number): void {
    this.conns.advance(nowMs, this.expireFn);
  }

  /** The reason the last packet was dropped (for fixture tests). */
  get lastDropReason(): number {
    return this.lastDrop;
  }

  // =================================================================== listing helpers

  destOf(i: number): Dest {
    return this.dests[this.conns.dest(i)]!;
  }

  protoName(p: number): L4Proto {
    return p === IPPROTO_TCP ? 'tcp' : 'udp';
  }
}

