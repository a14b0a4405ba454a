// Weight arithmetic the weighted schedulers share (wrr, mh, conhash): gcd and maximum.
// Update-time helpers only; they run when dests change, never per packet.

export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** The gcd of the positive values, or 0 when there are none (the kernel's loops over dests). */
export function gcdOfPositive(values: readonly number[]): number {
  let g = 0;
  for (let i = 0; i < values.length; i++) {
    const w = values[i];
    if (w > 0) g = g > 0 ? gcd(w, g) : w;
  }
  return g;
}

/** The largest value, or 0 for none (ip_vs_wrr_max_weight starts from 0 too). */
export function maxOf(values: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (values[i] > m) m = values[i];
  return m;
}
