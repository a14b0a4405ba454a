// The contract between the IPVS core and its schedulers, as the kernel's ip_vs_scheduler:
// a scheduler keeps its own state per service, is told when dests change, and picks one dest.

/**
 * What a scheduler sees of a dest. The core owns these objects; schedulers only read them
 * (and may keep references until the next update()).
 */
export interface SchedDest {
  /** Stable id of the dest, unique within the engine. */
  readonly id: number;
  /** Address family and big-endian address words of the real server (v4 uses w0). */
  readonly af: 4 | 6;
  readonly addrW0: number;
  readonly addrW1: number;
  readonly addrW2: number;
  readonly addrW3: number;
  readonly port: number;
  /** 0..65535; 0 = quiescent: no new connections. */
  readonly weight: number;
  readonly activeConns: number;
  readonly inactConns: number;
  /** Number of persistent templates pointing here (lblc/lblcr don't need it; kept for ovf/fo parity). */
  readonly persistConns: number;
  /** IP_VS_DEST_F_OVERLOAD: set by the core from -x/-y thresholds. */
  readonly overloaded: boolean;
  /** IP_VS_DEST_F_AVAILABLE: false once the dest is deleted (still referenced by connections). */
  readonly available: boolean;
}

/** The packet fields schedulers hash on. One instance is reused for every packet: never keep it. */
export interface SchedInput {
  af: 4 | 6;
  proto: number;
  /** client (source) address words and port */
  srcW0: number;
  srcW1: number;
  srcW2: number;
  srcW3: number;
  srcPort: number;
  /** virtual (destination) address words and port */
  dstW0: number;
  dstW1: number;
  dstW2: number;
  dstW3: number;
  dstPort: number;
  /** engine clock in milliseconds (lblc/lblcr expiry) */
  nowMs: number;
}

export interface SchedServiceView {
  /** Dests in the order they were added (ipvsadm's list order). */
  readonly dests: readonly SchedDest[];
  /** Scheduler flags from -b / --sched-flags (e.g. 'sh-port', 'mh-fallback', 'flag-1'). */
  readonly flags: ReadonlySet<string>;
}

export interface Scheduler {
  readonly name: string;
  /** Called after any change to the service's dests (add, edit weight, delete) and at creation. */
  update(svc: SchedServiceView): void;
  /** Picks a dest for a new connection, or null when none is available. Never allocates. */
  schedule(svc: SchedServiceView, input: SchedInput): SchedDest | null;
}

export type SchedulerFactory = () => Scheduler;
