// The few printf conversions ipvsadm's and dpip's formats use (%-Ns, %Ns, %llu with K/M/G/T),
// so the listings can be written beside their C format strings. Pure string functions.

/** `%-Ns`: left-aligned in N columns; a longer value is never cut (printf does not cut). */
export function left(v: string | number, n: number): string {
  return String(v).padEnd(n);
}

/** `%Ns`: right-aligned in N columns. */
export function right(v: string | number, n: number): string {
  return String(v).padStart(n);
}

/** `addr:port` with IPv6 in brackets, as ipvsadm's addrport_to_anyname prints it. */
export function hostPort(host: string, port: string | number, v6: boolean): string {
  return v6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * ipvsadm's print_largenum: 9 columns, raw under 10^8, else truncated to K/M/G/T (powers of 1000)
 * in 8 columns plus the suffix; `exact` prints every digit, 9 columns or one wider than the number.
 */
export function largeNum(i: number, exact: boolean): string {
  const n = BigInt(Math.max(0, Math.trunc(i)));
  if (exact) {
    const s = n.toString();
    return s.padStart(s.length <= 8 ? 9 : s.length + 1);
  }
  if (n < 100_000_000n) return n.toString().padStart(9);
  if (n < 1_000_000_000n) return `${(n / 1000n).toString().padStart(8)}K`;
  if (n < 100_000_000_000n) return `${(n / 1_000_000n).toString().padStart(8)}M`;
  if (n < 100_000_000_000_000n) return `${(n / 1_000_000_000n).toString().padStart(8)}G`;
  return `${(n / 1_000_000_000_000n).toString().padStart(8)}T`;
}
