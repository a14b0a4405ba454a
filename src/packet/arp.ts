// ARP (RFC 826) for Ethernet/IPv4: reading the fields we act on and writing requests/replies.
// Offsets are from the start of the ARP payload (after the Ethernet header).

import { copyMac, readU16, readU32, writeU16, writeU32 } from './ether.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_LEN = 28;

export function arpOp(buf: Uint8Array, a: number): number { return readU16(buf, a + 6); }
export function arpSenderIp(buf: Uint8Array, a: number): number { return readU32(buf, a + 14); }
export function arpTargetIp(buf: Uint8Array, a: number): number { return readU32(buf, a + 24); }
/** Offset of the sender hardware address. */
export function arpSenderMacOff(a: number): number { return a + 8; }

/**
 * Writes an ARP packet. For a request, tha is all zeros (pass zeroMac) and the Ethernet
 * destination is broadcast (the caller writes the Ethernet header).
 */
export function writeArp(
  buf: Uint8Array, a: number, op: number,
  sha: Uint8Array, shaOff: number, spa: number, tha: Uint8Array, thaOff: number, tpa: number,
): void {
  writeU16(buf, a, 1);
  writeU16(buf, a + 2, 0x0800);
  buf[a + 4] = 6;
  buf[a + 5] = 4;
  writeU16(buf, a + 6, op);
  copyMac(buf, a + 8, sha, shaOff);
  writeU32(buf, a + 14, spa);
  copyMac(buf, a + 18, tha, thaOff);
  writeU32(buf, a + 24, tpa);
}
