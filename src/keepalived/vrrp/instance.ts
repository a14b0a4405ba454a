// One vrrp_instance's state machine (RFC 3768 / RFC 5798 section 6.4) with keepalived 2.2.7's
// choices: start as BACKUP (an owner with state MASTER at once), preempt / nopreempt /
// preempt_delay, priority 0 on shutdown, ties to the higher primary address. No I/O: adverts go
// out and transitions are reported through VrrpEffects; time comes from a Clock.

import { type IpAddr, formatIp } from '../../packet/inet.js';
import { type Clock, masterDownUs, skewTimeUs } from './timers.js';

/** DELETED: a reload removed the instance (keepalived's VRRP_STATE_DELETED). */
export type VrrpRunState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP' | 'DELETED';

export interface VrrpParams {
  readonly name: string;
  readonly version: 2 | 3;
  readonly priority: number;
  /** advert_int in µs (v2: whole seconds on the wire; v3: centiseconds). */
  readonly advertIntUs: number;
  readonly preempt: boolean;
  readonly preemptDelayUs: number;
  readonly initialState: 'MASTER' | 'BACKUP';
  /** Our advert source: an equal-priority tie goes to the higher address. */
  readonly addr: IpAddr;
}

/** A received advert that passed check.ts. */
export interface ValidAdvert {
  readonly priority: number;
  readonly src: IpAddr;
  /** v3: Max Adver Int in centiseconds; v2: undefined. */
  readonly advertIntCs?: number;
}

export interface VrrpEffects {
  /** Send one advert with this priority (0 = resigning). */
  sendAdvert(priority: number): void;
  /** keepalived-like text: "(VI_1) Entering MASTER STATE". */
  log(message: string): void;
  /**
   * After the state changed (VIPs, GARPs, notify scripts hang off this). `message` is keepalived's
   * text for it ("(VI_1) Entering MASTER STATE"): one log line says both, not two.
   */
  transition(from: VrrpRunState, to: VrrpRunState, message?: string): void;
  /** A lower-priority router claimed master: keepalived re-sends its GARPs (garp_lower_prio_*). */
  lowerPriorityMaster?(): void;
}

/** -1, 0, 1 as a is lower than, equal to, higher than b (address words, most significant first). */
function addrCmp(a: IpAddr, b: IpAddr): number {
  for (const k of ['w0', 'w1', 'w2', 'w3'] as const) if (a[k] !== b[k]) return a[k] > b[k] ? 1 : -1;
  return 0;
}

export class VrrpMachine {
  state: VrrpRunState = 'INIT';
  /** Master_Adver_Interval in µs: a v3 backup adopts the master's. */
  masterAdverIntUs: number;
  /** When the current timer fires (clock ms): master down in BACKUP, next advert in MASTER. */
  deadline = Number.NaN;
  /** The master we last accepted (BACKUP). */
  masterAddr: IpAddr | undefined;
  private cancel: (() => void) | null = null;
  /** preempt_delay: when a higher priority than the master's may take over (ms), or NaN. */
  private preemptAt = Number.NaN;

  constructor(readonly p: VrrpParams, private readonly clock: Clock, private readonly fx: VrrpEffects) {
    this.masterAdverIntUs = p.advertIntUs;
  }

  private get tag(): string {
    return `(${this.p.name})`;
  }

  private arm(inUs: number): void {
    this.cancel?.();
    this.deadline = this.clock.now() + inUs / 1000;
    this.cancel = this.clock.after(inUs / 1000, () => this.expire());
  }

  masterDownUs(): number {
    return masterDownUs(this.p.version, this.p.priority, this.masterAdverIntUs);
  }

  start(): void {
    this.masterAdverIntUs = this.p.advertIntUs;
    if (this.p.initialState === 'MASTER' && this.p.priority === 255) {
      // keepalived: the address owner "times out from backup very quickly" (1 µs) without logging BACKUP.
      this.state = 'BACKUP';
      this.arm(1);
      return;
    }
    this.setState('BACKUP', `${this.tag} Entering BACKUP STATE (init)`);
    this.arm(this.masterDownUs());
  }

  private setState(to: VrrpRunState, message?: string): void {
    const from = this.state;
    this.state = to;
    if (from !== to) this.fx.transition(from, to, message);
  }

  private expire(): void {
    this.cancel = null;
    if (this.state === 'BACKUP') this.becomeMaster();
    else if (this.state === 'MASTER') {
      this.fx.sendAdvert(this.p.priority);
      this.arm(this.p.advertIntUs);
    }
  }

  /** BACKUP → MASTER: advert first (the old master drops its VIPs before our GARPs), then the rest. */
  becomeMaster(): void {
    if (this.state === 'MASTER' || this.state === 'STOP' || this.state === 'DELETED') return;
    this.masterAdverIntUs = this.p.advertIntUs;
    this.fx.sendAdvert(this.p.priority);
    this.setState('MASTER', `${this.tag} Entering MASTER STATE`);
    this.arm(this.p.advertIntUs);
  }

  /** MASTER → BACKUP (a better master, or the sync group says so). */
  becomeBackup(): void {
    if (this.state === 'BACKUP' || this.state === 'STOP' || this.state === 'DELETED') return;
    this.preemptAt = Number.NaN;
    this.setState('BACKUP', `${this.tag} Entering BACKUP STATE`);
    this.arm(this.masterDownUs());
  }

  /** A valid advert for our VRID. */
  receive(a: ValidAdvert): void {
    if (this.state === 'BACKUP') this.backupRx(a);
    else if (this.state === 'MASTER') this.masterRx(a);
  }

  private adoptInterval(a: ValidAdvert): void {
    if (this.p.version === 3 && a.advertIntCs !== undefined) this.masterAdverIntUs = a.advertIntCs * 10_000;
  }

  private backupRx(a: ValidAdvert): void {
    const now = this.clock.now();
    const ours = this.p.priority;
    if (a.priority === 0) {
      // The master resigned: take over after Skew_Time, not the whole Master_Down_Interval.
      this.arm(skewTimeUs(this.p.version, ours, this.masterAdverIntUs));
      return;
    }
    const delaying = this.p.preemptDelayUs > 0 && (Number.isNaN(this.preemptAt) || this.preemptAt > now);
    if (!this.p.preempt || a.priority >= ours || delaying) {
      this.adoptInterval(a);
      this.masterAddr = a.src;
      this.arm(this.masterDownUs());
      if (this.p.preemptDelayUs > 0) {
        if (a.priority >= ours) this.preemptAt = Number.NaN;
        else if (Number.isNaN(this.preemptAt)) this.preemptAt = now + this.p.preemptDelayUs / 1000;
      }
      return;
    }
    // Preempting: let the lower-priority master's adverts run out; our down timer keeps going.
    this.fx.log(`${this.tag} received lower priority (${a.priority}) advert from ${formatIp(a.src)} - discarding`);
  }

  private masterRx(a: ValidAdvert): void {
    const ours = this.p.priority;
    const cmp = addrCmp(a.src, this.p.addr);
    if (a.priority === 0) {
      // A resigning master (a split brain healing): assert ourselves at once.
      this.fx.sendAdvert(ours);
      return;
    }
    if (a.priority === ours && cmp === 0) this.fx.log(`${this.tag} WARNING - equal priority advert received from remote host with our IP address.`);
    if (a.priority < ours || (a.priority === ours && cmp < 0)) {
      this.fx.log(`${this.tag} Received advert from ${formatIp(a.src)} with lower priority ${a.priority}, ours ${ours}, forcing new election`);
      this.fx.sendAdvert(ours);
      this.fx.lowerPriorityMaster?.();
      return;
    }
    if (a.priority > ours) this.fx.log(`${this.tag} Master received advert from ${formatIp(a.src)} with higher priority ${a.priority}, ours ${ours}`);
    else if (cmp > 0) this.fx.log(`${this.tag} Master received advert from ${formatIp(a.src)} with same priority ${a.priority} but higher IP address than ours`);
    else return;
    this.adoptInterval(a);
    this.masterAddr = a.src;
    this.becomeBackup();
  }

  /**
   * A reload kept this instance (keepalived's restore_vrrp_state): it carries on in the state its
   * predecessor had, with this configuration's priority and advert_int, and no transition. A
   * master advertises at once (keepalived sets its timer to now) and then every advert_int; a
   * backup waits a whole Master_Down_Interval. `demoted`: a master whose sync group is not all
   * master goes back to BACKUP, as keepalived's vrrp_init_state does (its VIPs go, no priority 0).
   */
  resume(state: 'MASTER' | 'BACKUP', demoted = false): void {
    this.masterAdverIntUs = this.p.advertIntUs;
    if (demoted) {
      this.state = 'MASTER';
      this.setState('BACKUP', `${this.tag} Entering BACKUP STATE (init)`);
      this.arm(this.masterDownUs());
      return;
    }
    this.state = state;
    if (state === 'MASTER') {
      this.fx.sendAdvert(this.p.priority);
      this.arm(this.p.advertIntUs);
    } else this.arm(this.masterDownUs());
  }

  /** Replaced by a reload's successor: timers stop, nothing is sent, no transition. */
  retire(): void {
    this.cancel?.();
    this.cancel = null;
  }

  /** A master resigns: priority 0, so the backup takes over after Skew_Time. */
  private resign(): void {
    this.retire();
    if (this.state === 'MASTER') {
      this.fx.sendAdvert(0);
      this.fx.log(`${this.tag} sent 0 priority`);
    }
  }

  /** Shutdown: a master sends priority 0 so the backup takes over after Skew_Time. */
  stop(): void {
    this.resign();
    this.setState('STOP');
  }

  /**
   * A reload removed this instance (keepalived's clear_diff_vrrp): a master resigns as on stop.
   * The state becomes DELETED without a transition; the caller reports it.
   */
  delete(): void {
    this.resign();
    this.state = 'DELETED';
  }
}
