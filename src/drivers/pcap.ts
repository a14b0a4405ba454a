// Capture files: reads classic pcap (µs or ns, either byte order) and pcapng; writes classic pcap
// (µs, Ethernet) into one growing buffer so that 1e5 frames cost no per-frame allocation.

import { readFile, writeFile } from 'node:fs/promises';
import { TsvsError } from '../errors.js';
import { checkLinkType, LINKTYPE_ETHERNET, pcapError, type CaptureFrame } from './capture-format.js';
import { readPcapng } from './pcapng.js';

export { LINKTYPE_ETHERNET, type CaptureFrame } from './capture-format.js';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
/** Written into our headers and the cap on bytes kept per frame (tcpdump's default). */
export const SNAPLEN = 262144;
/** Larger "captured lengths" than this mean a corrupt file, not a real frame. */
const MAX_RECORD = 16 * 1024 * 1024;

/** Reads a whole capture file (classic pcap or pcapng). Frames are views into `bytes`. */
export function readCapture(bytes: Uint8Array): CaptureFrame[] {
  if (bytes.length < 4) throw pcapError(`file too short (${bytes.length} bytes) to be pcap or pcapng`, 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) === PCAPNG_SHB) return readPcapng(bytes);
  const magicLe = dv.getUint32(0, true);
  const magicBe = dv.getUint32(0, false);
  const le = magicLe === MAGIC_US || magicLe === MAGIC_NS;
  const magic = le ? magicLe : magicBe;
  if (magic !== MAGIC_US && magic !== MAGIC_NS) {
    throw pcapError(`not a pcap or pcapng file (magic 0x${magicBe.toString(16).padStart(8, '0')})`, 0);
  }
  if (bytes.length < FILE_HEADER) throw pcapError(`truncated file header (${bytes.length} of 24 bytes)`, 0);
  // The low 16 bits are the link type; the high bits may carry FCS length (draft-ietf-opsawg-pcap).
  checkLinkType(dv.getUint32(20, le) & 0xffff, 20);
  const unitsPerSec = magic === MAGIC_NS ? 1e9 : 1e6;
  const frames: CaptureFrame[] = [];
  for (let off = FILE_HEADER; off < bytes.length; ) {
    if (off + RECORD_HEADER > bytes.length) {
      throw pcapError(`truncated record header (${bytes.length - off} of 16 bytes)`, off);
    }
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    if (frac >= unitsPerSec) throw pcapError(`corrupt record: sub-second field ${frac} out of range`, off + 4);
    if (incl > MAX_RECORD) throw pcapError(`corrupt record: captured length ${incl}`, off + 8);
    const data = off + RECORD_HEADER;
    if (data + incl > bytes.length) {
      throw pcapError(`truncated frame: ${incl} bytes captured, ${bytes.length - data} present`, off);
    }
    frames.push({ tsMs: sec * 1000 + (frac * 1000) / unitsPerSec, data: bytes.subarray(data, data + incl) });
    off = data + incl;
  }
  return frames;
}

/** Writes classic pcap, little-endian, microsecond timestamps, LINKTYPE_ETHERNET. */
export class PcapWriter {
  private buf = new Uint8Array(1 << 16);
  private dv = new DataView(this.buf.buffer);
  private len = 0;
  private count = 0;

  constructor() {
    const dv = this.dv;
    dv.setUint32(0, MAGIC_US, true);
    dv.setUint16(4, 2, true); // version 2.4
    dv.setUint16(6, 4, true);
    dv.setInt32(8, 0, true); // thiszone: timestamps are UTC
    dv.setUint32(12, 0, true); // sigfigs
    dv.setUint32(16, SNAPLEN, true);
    dv.setUint32(20, LINKTYPE_ETHERNET, true);
    this.len = FILE_HEADER;
  }

  /** Frames written so far. */
  get frameCount(): number {
    return this.count;
  }

  /** Appends one frame (frame[off, off+len)); frames longer than SNAPLEN keep their first SNAPLEN bytes. */
  write(tsMs: number, frame: Uint8Array, off = 0, len = frame.length - off): void {
    if (!Number.isFinite(tsMs) || tsMs < 0) throw new TsvsError('TSVS_ERR_PCAP', `invalid timestamp ${tsMs} ms`);
    if (off < 0 || len < 0 || off + len > frame.length) {
      throw new TsvsError('TSVS_ERR_PCAP', `frame slice [${off}, ${off + len}) is outside a ${frame.length}-byte buffer`);
    }
    let sec = Math.floor(tsMs / 1000);
    let usec = Math.round((tsMs - sec * 1000) * 1000);
    if (usec >= 1e6) { sec++; usec -= 1e6; }
    if (sec > 0xffffffff) throw new TsvsError('TSVS_ERR_PCAP', `timestamp ${tsMs} ms does not fit classic pcap`);
    const cap = Math.min(len, SNAPLEN);
    this.reserve(RECORD_HEADER + cap);
    const p = this.len;
    this.dv.setUint32(p, sec, true);
    this.dv.setUint32(p + 4, usec, true);
    this.dv.setUint32(p + 8, cap, true);
    this.dv.setUint32(p + 12, len, true);
    this.buf.set(frame.subarray(off, off + cap), p + RECORD_HEADER);
    this.len = p + RECORD_HEADER + cap;
    this.count++;
  }

  /** A copy of the file so far; writing may go on afterwards. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
}

/** Writes frames to a classic pcap file at `path`. */
export async function writeCaptureFile(path: string, frames: Iterable<CaptureFrame>): Promise<void> {
  const w = new PcapWriter();
  for (const f of frames) w.write(f.tsMs, f.data);
  await writeFile(path, w.toBytes());
}

/** Reads a pcap or pcapng file from `path`. */
export async function readCaptureFile(path: string): Promise<CaptureFrame[]> {
  return readCapture(await readFile(path));
}
