// A classic-BPF interpreter for tests, written from the kernel's semantics (net/core/filter.c):
// runs a sock_filter[] over bytes and returns what the program returns. Independent of cbpf.ts.

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Runs `prog` over `pkt` (give a fanout program the packet from its network header, a socket
 * filter from its Ethernet header). Like the kernel: a load past the end, or a division by zero,
 * ends the program with 0; arithmetic is 32-bit unsigned.
 */
export function runCbpf(prog: Uint8Array, pkt: Uint8Array): number {
  const dv = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  const n = prog.length / 8;
  const mem = new Uint32Array(16);
  let a = 0, x = 0;
  const load = (off: number, size: number): number | null => {
    if (off < 0 || off + size > pkt.length) return null;
    let v = 0;
    for (let i = 0; i < size; i++) v = (v * 256) + pkt[off + i]!;
    return v >>> 0;
  };
  for (let pc = 0; pc < n; pc++) {
    const code = dv.getUint16(pc * 8, HOST_LE);
    const jt = dv.getUint8(pc * 8 + 2), jf = dv.getUint8(pc * 8 + 3);
    const k = dv.getUint32(pc * 8 + 4, HOST_LE);
    const cls = code & 0x07;
    const size = [4, 2, 1, 0][(code >> 3) & 0x03]!;
    const mode = code & 0xe0;
    const src = (code & 0x08) !== 0 ? x : k;
    switch (cls) {
      case 0x00: { // LD
        if (mode === 0x00) a = k;
        else if (mode === 0x80) a = pkt.length;
        else if (mode === 0x60) a = mem[k]!;
        else {
          const v = load(mode === 0x20 ? k : x + k, size);
          if (v === null) return 0;
          a = v;
        }
        break;
      }
      case 0x01: { // LDX
        if (mode === 0x00) x = k;
        else if (mode === 0x80) x = pkt.length;
        else if (mode === 0x60) x = mem[k]!;
        else if (mode === 0xa0) {
          const v = load(k, 1);
          if (v === null) return 0;
          x = (v & 0xf) * 4;
        } else throw new Error(`cbpf-run: bad ldx mode ${mode}`);
        break;
      }
      case 0x02: mem[k] = a; break;
      case 0x03: mem[k] = x; break;
      case 0x04: { // ALU
        const op = code & 0xf0;
        if ((op === 0x30 || op === 0x90) && src === 0) return 0;
        a = op === 0x00 ? a + src : op === 0x10 ? a - src : op === 0x20 ? Math.imul(a, src) : op === 0x30 ? Math.floor(a / src)
          : op === 0x40 ? a | src : op === 0x50 ? a & src : op === 0x60 ? (src >= 32 ? 0 : a << src)
          : op === 0x70 ? (src >= 32 ? 0 : a >>> src) : op === 0x80 ? -a : op === 0x90 ? a % src : a ^ src;
        a >>>= 0;
        break;
      }
      case 0x05: { // JMP
        const op = code & 0xf0;
        if (op === 0x00) { pc += k; break; }
        const c = op === 0x10 ? a === src : op === 0x20 ? a > src : op === 0x30 ? a >= src : (a & src) !== 0;
        pc += c ? jt : jf;
        break;
      }
      case 0x06: return ((code & 0x18) === 0x10 ? a : k) >>> 0;
      case 0x07: if ((code & 0xf8) === 0x80) a = x; else x = a; break;
    }
  }
  throw new Error('cbpf-run: fell off the end of the program');
}
