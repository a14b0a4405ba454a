// Internet checksums (RFC 1071) and incremental updates (RFC 1624) over frame bytes.
// Every function here is allocation-free; sums are carried as plain numbers and folded at the end.

/**
 * Adds the 16-bit big-endian words of buf[off, off+len) to `sum` without folding. An odd last
 * byte is padded with zero, as RFC 1071 says. Callers fold with csumFold().
 */
export function csumPartial(buf: Uint8Array, off: number, len: number, sum: number): number {
  const end = off + len - 1;
  let i = off;
  // Unrolled by four words: the loop runs over whole payloads for full recomputes, so it matters.
  for (; i + 7 <= end; i += 8) {
    sum += ((buf[i]! << 8) | buf[i + 1]!) + ((buf[i + 2]! << 8) | buf[i + 3]!)
      + ((buf[i + 4]! << 8) | buf[i + 5]!) + ((buf[i + 6]! << 8) | buf[i + 7]!);
    // Keep the accumulator well inside 2^53 even for 64 KiB inputs.
    if (sum > 0x7fffffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  }
  for (; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i === end) sum += buf[i]! << 8;
  return sum;
}

/** Folds a sum to 16 bits and returns its one's complement: the value to store in a header. */
export function csumFold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** Sum of a 32-bit word's two halves, for pseudo-headers and incremental updates. */
export function word32Sum(w: number): number {
  return (w >>> 16) + (w & 0xffff);
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). Updates checksum `check` for a 16-bit field changing
 * from `oldV` to `newV`. Returns the new checksum value.
 */
export function csumReplace16(check: number, oldV: number, newV: number): number {
  let s = (~check & 0xffff) + (~oldV & 0xffff) + (newV & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** RFC 1624 for a 32-bit field (an IPv4 address, a sequence number). */
export function csumReplace32(check: number, oldV: number, newV: number): number {
  let s = (~check & 0xffff) + (~(oldV >>> 16) & 0xffff) + (~oldV & 0xffff)
    + ((newV >>> 16) & 0xffff) + (newV & 0xffff);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/**
 * Applies a precomputed difference `delta` (sum of ~old words and new words, unfolded) to a
 * checksum. Lets one address change update both the IP and the TCP/UDP checksum.
 */
export function csumApplyDelta(check: number, delta: number): number {
  let s = (~check & 0xffff) + delta;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

/** The delta term for a 32-bit field changing old -> new, for csumApplyDelta. */
export function delta32(oldV: number, newV: number): number {
  return (~(oldV >>> 16) & 0xffff) + (~oldV & 0xffff) + ((newV >>> 16) & 0xffff) + (newV & 0xffff);
}

/** The delta term for a 16-bit field changing old -> new. */
export function delta16(oldV: number, newV: number): number {
  return (~oldV & 0xffff) + (newV & 0xffff);
}

/** Unfolded sum of the IPv4 pseudo-header (RFC 793 / 768). */
export function pseudoSum4(src: number, dst: number, proto: number, l4len: number): number {
  return word32Sum(src) + word32Sum(dst) + proto + l4len;
}

/** Unfolded sum of the IPv6 pseudo-header (RFC 8200 section 8.1); addresses read from buf. */
export function pseudoSum6(buf: Uint8Array, srcOff: number, dstOff: number, proto: number, l4len: number): number {
  let s = csumPartial(buf, srcOff, 16, 0);
  s = csumPartial(buf, dstOff, 16, s);
  return s + word32Sum(l4len) + proto;
}
