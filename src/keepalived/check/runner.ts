// One checker's life: warmup, a probe every delay_loop, retries every delay_before_retry while up,
// and the up/down transitions, with keepalived's rules (check_tcp.c tcp_epilog and friends).

import type { Checker, RealServer, VirtualServer } from '../model.js';
import type { Probe, ProbeResult, ProbeTarget } from './probe.js';

/** Effective timing of one checker, in ms, after checker -> real_server -> virtual_server inheritance. */
export interface CheckerSchedule {
  readonly delayLoopMs: number;
  readonly retry: number;
  readonly delayBeforeRetryMs: number;
  /** The first probe waits a random time up to this (keepalived's warmup; default delay_loop). */
  readonly warmupMs: number;
  /** alpha: start down until the first success. */
  readonly alpha: boolean;
  readonly timeoutMs: number;
}

const ms = (s: number): number => Math.round(s * 1000);

/** keepalived's defaults: delay_loop 60, connect_timeout 5, retry 1 (DNS 3, MISC 0), delay_before_retry 1 (HTTP/SSL 3, DNS delay_loop). */
export function checkerSchedule(vs: VirtualServer, rs: RealServer, c: Checker): CheckerSchedule {
  const delayLoop = c.delayLoop ?? rs.delayLoop ?? vs.delayLoop ?? 60;
  const defaultRetry = c.kind === 'DNS_CHECK' ? 3 : c.kind === 'MISC_CHECK' ? 0 : 1;
  const defaultDbr = c.kind === 'HTTP_GET' || c.kind === 'SSL_GET' ? 3 : c.kind === 'DNS_CHECK' ? delayLoop : 1;
  const timeout = c.kind === 'MISC_CHECK' ? c.miscTimeout ?? vs.delayLoop ?? 60 : c.connectTimeout ?? rs.connectTimeout ?? vs.connectTimeout ?? 5;
  return {
    delayLoopMs: ms(delayLoop),
    retry: c.retry ?? rs.retry ?? vs.retry ?? defaultRetry,
    delayBeforeRetryMs: ms(c.delayBeforeRetry ?? rs.delayBeforeRetry ?? vs.delayBeforeRetry ?? defaultDbr),
    warmupMs: ms(c.warmup ?? rs.warmup ?? vs.warmup ?? delayLoop),
    alpha: c.alpha ?? rs.alpha ?? vs.alpha ?? false,
    timeoutMs: ms(timeout),
  };
}

export interface CheckerEvent {
  readonly type: 'up' | 'down' | 'weight';
  readonly reason: string;
  /** For 'up' and 'weight' from misc_dynamic. */
  readonly weight?: number;
}

export class CheckerRunner {
  /**
   * ha_suspend: a disabled checker keeps its schedule but does not probe, so its verdict stays as
   * it was (keepalived's tcp_connect_thread and friends: "if checker is disabled", re-arm).
   */
  enabled = true;
  #up: boolean;
  #hasRun = false;
  #retryIt: number;
  #weight: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;

  constructor(
    private readonly probe: Probe,
    private readonly target: Omit<ProbeTarget, 'timeoutMs'>,
    private readonly schedule: CheckerSchedule,
    private readonly onEvent: (e: CheckerEvent) => void,
    private readonly random: () => number = Math.random,
    /** Where a reload found the real server (up or down); default: down with alpha, else up. */
    initiallyUp: boolean = !schedule.alpha,
  ) {
    this.#up = initiallyUp;
    // keepalived (check_data.c): "for non alpha mode, one failure is enough initially".
    this.#retryIt = schedule.retry;
  }

  get isUp(): boolean {
    return this.#up;
  }

  /** misc_dynamic's current weight, if the script set one. */
  get weight(): number | undefined {
    return this.#weight;
  }

  start(): void {
    this.#arm(Math.floor(this.schedule.warmupMs * this.random()));
  }

  /** Stops the schedule and aborts a probe in flight. */
  async stop(): Promise<void> {
    this.#stop.abort();
    clearTimeout(this.#timer);
    await this.#running;
  }

  #arm(delay: number): void {
    if (this.#stop.signal.aborted) return;
    this.#timer = setTimeout(() => {
      if (this.enabled) this.#running = this.#runOnce();
      else this.#arm(this.schedule.delayLoopMs);
    }, delay);
  }

  async #runOnce(): Promise<void> {
    const r = await this.probe({ ...this.target, timeoutMs: this.schedule.timeoutMs }, this.#stop.signal);
    if (this.#stop.signal.aborted) return;
    this.#arm(this.#epilog(r));
  }

  /** Applies one result; returns the delay to the next probe. */
  #epilog(r: ProbeResult): number {
    const s = this.schedule;
    if (r.ok) {
      this.#retryIt = 0;
      const wasUp = this.#up;
      const firstRun = !this.#hasRun;
      this.#up = true;
      this.#hasRun = true;
      const weightChanged = r.weight !== this.#weight;
      this.#weight = r.weight;
      if (!wasUp || (firstRun && s.alpha)) this.onEvent({ type: 'up', reason: r.reason, ...(r.weight !== undefined ? { weight: r.weight } : {}) });
      else if (weightChanged) this.onEvent({ type: 'weight', reason: r.reason, ...(r.weight !== undefined ? { weight: r.weight } : {}) });
      return s.delayLoopMs;
    }
    if ((this.#up || !this.#hasRun) && this.#retryIt >= s.retry) {
      this.#retryIt = 0;
      const wasUp = this.#up;
      this.#up = false;
      this.#hasRun = true;
      if (wasUp) this.onEvent({ type: 'down', reason: r.reason });
      return s.delayLoopMs;
    }
    this.#hasRun = true;
    if (this.#up) {
      this.#retryIt++;
      return s.delayBeforeRetryMs;
    }
    return s.delayLoopMs;
  }
}
