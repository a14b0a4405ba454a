// Synthetic AF_PACKET receive rings in ordinary memory, written as the kernel's tpacket_rcv writes
// them (TPACKET_V2 slots, TPACKET_V3 blocks), for the ring walker's tests and benchmark.

import { TP_STATUS_USER } from '../../src/drivers/afpacket-ring.js';

export interface Meta { status?: number; tci?: number; tpid?: number; vnet?: number[]; wireLen?: number }
export const MAC = 90; // where the kernel would put the frame: after the header, aligned for the IP header

/** Writes a V2 slot as tpacket_rcv does. */
export function putV2(u8: Uint8Array, slot: number, frame: Uint8Array, m: Meta = {}): void {
  const dv = new DataView(u8.buffer);
  u8.set(frame, slot + MAC);
  if (m.vnet) u8.set(m.vnet, slot + MAC - 10);
  dv.setUint32(slot + 4, m.wireLen ?? frame.length, true);
  dv.setUint32(slot + 8, frame.length, true);
  dv.setUint16(slot + 12, MAC, true);
  dv.setUint16(slot + 24, m.tci ?? 0, true);
  dv.setUint16(slot + 26, m.tpid ?? 0, true);
  dv.setUint32(slot, TP_STATUS_USER | (m.status ?? 0), true);
}

/** Fills a V3 block with frames back to back and hands it to user space. */
export function putV3Block(u8: Uint8Array, block: number, frames: Uint8Array[], metas: Meta[] = []): void {
  const dv = new DataView(u8.buffer);
  let p = block + 48;
  dv.setUint32(block + 12, frames.length, true);
  dv.setUint32(block + 16, 48, true);
  frames.forEach((f, i) => {
    const m = metas[i] ?? {};
    const size = (MAC + f.length + 15) & ~15;
    u8.set(f, p + MAC);
    if (m.vnet) u8.set(m.vnet, p + MAC - 10);
    dv.setUint32(p, i + 1 < frames.length ? size : 0, true);
    dv.setUint32(p + 12, f.length, true);
    dv.setUint32(p + 16, m.wireLen ?? f.length, true);
    dv.setUint32(p + 20, m.status ?? 0, true);
    dv.setUint16(p + 24, MAC, true);
    dv.setUint32(p + 32, m.tci ?? 0, true);
    dv.setUint16(p + 36, m.tpid ?? 0, true);
    p += size;
  });
  dv.setUint32(block + 8, TP_STATUS_USER, true);
}
