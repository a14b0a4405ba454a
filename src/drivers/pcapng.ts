// pcapng reading (SHB, IDB with if_tsresol/if_tsoffset, EPB, SPB; other blocks skipped), in
// either byte order, section by section. Frames come back as views into the input bytes.

import { checkLinkType, pcapError, type CaptureFrame } from './capture-format.js';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const SPB = 3;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_TSRESOL = 9;
const OPT_TSOFFSET = 14;

interface Iface {
  /** Timestamp units per second (if_tsresol; default microseconds). */
  readonly unitsPerSec: number;
  /** if_tsoffset, seconds added to every timestamp. */
  readonly offsetS: number;
  readonly snaplen: number;
}

/** hi:lo timestamp units to ms; exact integer math below 2^53 units, BigInt above (ns clocks). */
function unitsToMs(hi: number, lo: number, unitsPerSec: number): number {
  if (hi < 0x200000) {
    const u = hi * 4294967296 + lo;
    const s = Math.floor(u / unitsPerSec);
    return s * 1000 + ((u - s * unitsPerSec) * 1000) / unitsPerSec;
  }
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  const r = BigInt(unitsPerSec);
  const s = u / r;
  return Number(s) * 1000 + (Number(u - s * r) * 1000) / unitsPerSec;
}

function readIdb(dv: DataView, body: number, end: number, le: boolean, blockOff: number): Iface {
  if (end - body < 8) throw pcapError('Interface Description Block too short', blockOff);
  checkLinkType(dv.getUint16(body, le), blockOff);
  const snaplen = dv.getUint32(body + 4, le);
  let unitsPerSec = 1e6;
  let offsetS = 0;
  for (let o = body + 8; o + 4 <= end; ) {
    const code = dv.getUint16(o, le);
    const len = dv.getUint16(o + 2, le);
    if (code === 0) break;
    if (o + 4 + len > end) throw pcapError(`option ${code} runs past its block`, o);
    if (code === OPT_TSRESOL && len >= 1) {
      const v = dv.getUint8(o + 4);
      unitsPerSec = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    } else if (code === OPT_TSOFFSET && len >= 8) {
      offsetS = Number(dv.getBigInt64(o + 4, le));
    }
    o += 4 + ((len + 3) & ~3);
  }
  return { unitsPerSec, offsetS, snaplen };
}

export function readPcapng(bytes: Uint8Array): CaptureFrame[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: CaptureFrame[] = [];
  let ifaces: Iface[] = [];
  let le = true;
  let lastTsMs = 0;
  for (let off = 0; off < bytes.length; ) {
    if (off + 12 > bytes.length) throw pcapError(`truncated block header (${bytes.length - off} of 12 bytes)`, off);
    if (dv.getUint32(off, true) === SHB) {
      const bom = dv.getUint32(off + 8, true);
      if (bom !== BYTE_ORDER_MAGIC && bom !== 0x4d3c2b1a) throw pcapError('bad byte-order magic in Section Header Block', off + 8);
      le = bom === BYTE_ORDER_MAGIC;
      ifaces = []; // interface ids are per section
    } else if (off === 0) {
      throw pcapError('pcapng file does not start with a Section Header Block', 0);
    }
    const type = dv.getUint32(off, le);
    const blen = dv.getUint32(off + 4, le);
    if (blen < 12 || blen % 4 !== 0) throw pcapError(`corrupt block length ${blen}`, off + 4);
    if (off + blen > bytes.length) throw pcapError(`truncated block: ${blen} bytes declared, ${bytes.length - off} present`, off);
    if (dv.getUint32(off + blen - 4, le) !== blen) throw pcapError('block length at the end does not match the start', off + blen - 4);
    const body = off + 8;
    const end = off + blen - 4;
    if (type === SHB) {
      if (blen < 28) throw pcapError('Section Header Block too short', off);
      const major = dv.getUint16(body + 4, le);
      if (major !== 1) throw pcapError(`pcapng major version ${major} is not supported (only 1)`, body + 4);
    } else if (type === IDB) {
      ifaces.push(readIdb(dv, body, end, le, off));
    } else if (type === EPB || type === SPB) {
      const ifid = type === EPB ? dv.getUint32(body, le) : 0;
      const iface = ifaces[ifid];
      if (!iface) throw pcapError(`packet block refers to interface ${ifid}, but ${ifaces.length} are described`, off);
      let data: number;
      let caplen: number;
      if (type === EPB) {
        if (end - body < 20) throw pcapError('Enhanced Packet Block too short', off);
        lastTsMs = unitsToMs(dv.getUint32(body + 4, le), dv.getUint32(body + 8, le), iface.unitsPerSec) + iface.offsetS * 1000;
        caplen = dv.getUint32(body + 12, le);
        data = body + 20;
      } else {
        // A Simple Packet Block has no timestamp: it inherits the previous packet's time.
        const orig = dv.getUint32(body, le);
        caplen = Math.min(orig, end - body - 4, iface.snaplen || orig);
        data = body + 4;
      }
      if (data + caplen > end) throw pcapError(`captured length ${caplen} runs past its block`, off);
      frames.push({ tsMs: lastTsMs, data: bytes.subarray(data, data + caplen) });
    }
    off += blen;
  }
  return frames;
}
