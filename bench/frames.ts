// Frames for the benchmark: Ethernet/IPv4/TCP and UDP frames written with valid checksums, and a
// checksum check of what the engine sends that does not use the engine's own checksum code.

/** Our two ports as the benchmark configures them, and the neighbours behind them. */
export const MAC_RS_SIDE = Uint8Array.of(2, 0, 0, 0, 0, 1);
export const MAC_CLIENT_SIDE = Uint8Array.of(2, 0, 0, 0, 0, 2);
export const MAC_PEER = Uint8Array.of(2, 0, 0, 0, 9, 9);

export const ETH_LEN = 14;
export const IP_LEN = 20;
/** The minimum Ethernet frame without FCS is 60 bytes; DPDK's "64-byte packet" counts the FCS too. */
export const DATA_FRAME_LEN = 64;

/** Linux's SYN options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7 (20 bytes). */
export const LINUX_SYN_OPTIONS = Uint8Array.of(2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 1, 3, 3, 7);

export interface L4Fields {
  proto: 6 | 17;
  src: number;
  dst: number;
  sport: number;
  dport: number;
  /** TCP only. */
  seq: number;
  ack: number;
  flags: number;
  /** TCP options, a multiple of 4 bytes. */
  options: Uint8Array | null;
  payload: number;
}

export function tcpFields(src: number, dst: number, sport: number, dport: number, seq: number, ack: number, flags: number, payload: number): L4Fields {
  return { proto: 6, src, dst, sport, dport, seq, ack, flags, options: null, payload };
}

export function udpFields(src: number, dst: number, sport: number, dport: number, payload: number): L4Fields {
  return { proto: 17, src, dst, sport, dport, seq: 0, ack: 0, flags: 0, options: null, payload };
}

/**
 * Writes an Ethernet/IPv4/L4 frame at b[off] with correct IPv4 and L4 checksums (UDP too) and
 * returns its length, padded with zeros to 60 bytes like a NIC would.
 */
export function writeFrame(b: Uint8Array, off: number, dmac: Uint8Array, smac: Uint8Array, f: L4Fields): number {
  b.set(dmac, off);
  b.set(smac, off + 6);
  put16(b, off + 12, 0x0800);
  const l3 = off + ETH_LEN;
  const optLen = f.options === null ? 0 : f.options.length;
  const l4Hdr = f.proto === 6 ? 20 + optLen : 8;
  const l4Len = l4Hdr + f.payload;
  const total = IP_LEN + l4Len;
  b.fill(0, l3, l3 + Math.max(total, 46));
  b[l3] = 0x45;
  put16(b, l3 + 2, total);
  put16(b, l3 + 4, 0x1234);
  put16(b, l3 + 6, 0x4000);
  b[l3 + 8] = 64;
  b[l3 + 9] = f.proto;
  put32(b, l3 + 12, f.src);
  put32(b, l3 + 16, f.dst);
  put16(b, l3 + 10, ~sum16(b, l3, IP_LEN, 0) & 0xffff);
  const l4 = l3 + IP_LEN;
  put16(b, l4, f.sport);
  put16(b, l4 + 2, f.dport);
  for (let k = 0; k < f.payload; k++) b[l4 + l4Hdr + k] = 0x61 + (k % 26);
  if (f.proto === 6) {
    put32(b, l4 + 4, f.seq);
    put32(b, l4 + 8, f.ack);
    b[l4 + 12] = (l4Hdr >> 2) << 4;
    b[l4 + 13] = f.flags;
    put16(b, l4 + 14, 65535);
    if (f.options !== null) b.set(f.options, l4 + 20);
    put16(b, l4 + 16, ~sum16(b, l4, l4Len, pseudo(b, l3, 6, l4Len)) & 0xffff);
  } else {
    put16(b, l4 + 4, l4Len);
    put16(b, l4 + 6, ~sum16(b, l4, l4Len, pseudo(b, l3, 17, l4Len)) & 0xffff || 0xffff);
  }
  return ETH_LEN + Math.max(total, 46);
}

/**
 * True when the IPv4 packet at l3 (and, for TCP/UDP, its L4 checksum over the pseudo-header)
 * checks out. For IPIP it checks the outer header and then the inner packet.
 */
export function ipv4PacketOk(b: Uint8Array, l3: number): boolean {
  if (b[l3]! !== 0x45 || (sum16(b, l3, IP_LEN, 0) & 0xffff) !== 0xffff) return false;
  const total = get16(b, l3 + 2);
  const proto = b[l3 + 9]!;
  if (proto === 4) return ipv4PacketOk(b, l3 + IP_LEN);
  if (proto !== 6 && proto !== 17) return true;
  const l4Len = total - IP_LEN;
  return (sum16(b, l3 + IP_LEN, l4Len, pseudo(b, l3, proto, l4Len)) & 0xffff) === 0xffff;
}

/** One's-complement sum of b[off, off+len) folded to 16 bits (RFC 1071), plain and slow. */
function sum16(b: Uint8Array, off: number, len: number, init: number): number {
  let s = init;
  for (let k = 0; k < len; k += 2) s += (b[off + k]! << 8) | (k + 1 < len ? b[off + k + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

function pseudo(b: Uint8Array, l3: number, proto: number, l4Len: number): number {
  return get16(b, l3 + 12) + get16(b, l3 + 14) + get16(b, l3 + 16) + get16(b, l3 + 18) + proto + l4Len;
}

export function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 255;
  b[o + 1] = v & 255;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 255;
  b[o + 2] = (v >>> 8) & 255;
  b[o + 3] = v & 255;
}

export function ip4str(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

export function macStr(m: Uint8Array): string {
  return Array.from(m, (x) => x.toString(16).padStart(2, '0')).join(':');
}
