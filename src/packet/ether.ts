// Ethernet II and 802.1Q framing: constants and MAC copies on frame bytes.
// Frames are Uint8Array views; nothing here allocates.

export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;

export function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 255;
  b[o + 1] = v & 255;
}

export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * readU32 as a signed int32: the packet path keeps 32-bit words signed so that V8 holds them as
 * small integers, not heap numbers (see docs/architecture.md, "int32 on the packet path").
 */
export function readI32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 255;
  b[o + 1] = (v >>> 16) & 255;
  b[o + 2] = (v >>> 8) & 255;
  b[o + 3] = v & 255;
}

/** Copies 6 bytes of MAC from src[so] to dst[do]. */
export function copyMac(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number): void {
  dst[dOff] = src[sOff]!;
  dst[dOff + 1] = src[sOff + 1]!;
  dst[dOff + 2] = src[sOff + 2]!;
  dst[dOff + 3] = src[sOff + 3]!;
  dst[dOff + 4] = src[sOff + 4]!;
  dst[dOff + 5] = src[sOff + 5]!;
}

export function macIsBroadcast(b: Uint8Array, o: number): boolean {
  return (b[o]! & b[o + 1]! & b[o + 2]! & b[o + 3]! & b[o + 4]! & b[o + 5]!) === 255;
}

export function macIsMulticast(b: Uint8Array, o: number): boolean {
  return (b[o]! & 1) === 1;
}

export function macEquals(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  return a[ao] === b[bo] && a[ao + 1] === b[bo + 1] && a[ao + 2] === b[bo + 2]
    && a[ao + 3] === b[bo + 3] && a[ao + 4] === b[bo + 4] && a[ao + 5] === b[bo + 5];
}

/** Writes an Ethernet header (no VLAN) at off. */
export function writeEthHeader(b: Uint8Array, off: number, dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, type: number): void {
  copyMac(b, off, dst, dOff);
  copyMac(b, off + 6, src, sOff);
  writeU16(b, off + 12, type);
}
