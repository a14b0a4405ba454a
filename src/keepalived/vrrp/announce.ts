// When a master announces its VIPs, per keepalived's vrrp_garp_* settings: a burst of `repeat`
// rounds on becoming MASTER, a second burst after `delay` (0: none), a `refreshRepeat` burst every
// `refresh` while MASTER (0: never), and the lower-priority bursts. One round = one frame per VIP.

import type { IpAddr } from '../../packet/inet.js';
import type { Clock } from './timers.js';

export interface GarpSettings {
  /** Seconds. */
  readonly delay: number;
  readonly repeat: number;
  readonly refresh: number;
  readonly refreshRepeat: number;
  readonly lowerPrioDelay: number;
  readonly lowerPrioRepeat: number;
  /** Seconds between two messages of a burst (vrrp_garp_interval / vrrp_gna_interval). */
  readonly interval4: number;
  readonly interval6: number;
}

export class Announcer {
  private timers: (() => void)[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly s: GarpSettings,
    private readonly vips: readonly IpAddr[],
    /** Sends one announcement for one VIP. */
    private readonly send: (vip: IpAddr) => void,
  ) {}

  private later(sec: number, fn: () => void): void {
    const cancel = this.clock.after(sec * 1000, () => {
      this.timers = this.timers.filter((c) => c !== cancel);
      fn();
    });
    this.timers.push(cancel);
  }

  /**
   * `rounds` rounds over the VIPs. Without an interval they go at once; with one, messages of a
   * family are spaced by it (keepalived paces per interface, so one clock per family here).
   */
  burst(rounds: number): void {
    const msgs: IpAddr[] = [];
    for (let r = 0; r < rounds; r++) msgs.push(...this.vips);
    let at4 = 0, at6 = 0;
    for (const v of msgs) {
      const gap = v.af === 4 ? this.s.interval4 : this.s.interval6;
      if (gap <= 0) {
        this.send(v);
        continue;
      }
      const at = v.af === 4 ? at4 : at6;
      if (at === 0) this.send(v);
      else this.later(at, () => this.send(v));
      if (v.af === 4) at4 += gap;
      else at6 += gap;
    }
  }

  /** On becoming MASTER. */
  masterEntered(): void {
    this.cancel();
    this.burst(this.s.repeat);
    if (this.s.delay > 0) this.later(this.s.delay, () => this.burst(this.s.repeat));
    if (this.s.refresh > 0) this.refreshLoop();
  }

  /**
   * A reload kept this master (keepalived's clear_diff_vrrp): no second burst. With VIPs `added`
   * (and now in place), one `repeat` burst over every VIP; without, nothing, except that a refresh
   * is due at once (keepalived's new instance has no refresh timer yet, so its first advert sends
   * the refresh burst). Either way the refresh runs every `refresh` from here.
   */
  reloaded(added: boolean): void {
    this.cancel();
    if (added) this.burst(this.s.repeat);
    else if (this.s.refresh > 0) this.burst(this.s.refreshRepeat);
    if (this.s.refresh > 0) this.refreshLoop();
  }

  private refreshLoop(): void {
    this.later(this.s.refresh, () => {
      this.burst(this.s.refreshRepeat);
      this.refreshLoop();
    });
  }

  /** A lower-priority router claimed master while we are. */
  lowerPriority(): void {
    if (this.s.lowerPrioRepeat <= 0) return;
    this.burst(this.s.lowerPrioRepeat);
    if (this.s.lowerPrioDelay > 0) this.later(this.s.lowerPrioDelay, () => this.burst(this.s.lowerPrioRepeat));
  }

  /** On leaving MASTER: no more announcements. */
  cancel(): void {
    for (const c of this.timers.splice(0)) c();
  }
}
