// VRRP's timer arithmetic (Skew_Time, Master_Down_Interval) as keepalived 2.2.7 computes it, in
// integer microseconds, and the clock the state machine runs on (real, or a test's fake one).

/** A timer source: the real one uses setTimeout; tests advance a fake one by hand. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls fn after ms; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** VRRP_DOWN_TIMER_ADVERTS: a backup waits this many master intervals (plus skew). */
export const DOWN_TIMER_ADVERTS = 3;

/**
 * Skew_Time in µs for priority `prio` (or keepalived's "pri_val"): v2 (256 - prio)/256 s;
 * v3 ((256 - prio) × Master_Adver_Interval)/256, the interval in whole centiseconds.
 */
export function skewUs(version: 2 | 3, priVal: number, masterAdverIntUs: number): number {
  return version === 3 ? Math.floor((priVal * Math.floor(masterAdverIntUs / 10_000) * 625) / 16) : Math.floor((priVal * 1_000_000) / 256);
}

export function skewTimeUs(version: 2 | 3, priority: number, masterAdverIntUs: number): number {
  return skewUs(version, 256 - priority, masterAdverIntUs);
}

/** Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, in µs. */
export function masterDownUs(version: 2 | 3, priority: number, masterAdverIntUs: number): number {
  return DOWN_TIMER_ADVERTS * masterAdverIntUs + skewTimeUs(version, priority, masterAdverIntUs);
}
