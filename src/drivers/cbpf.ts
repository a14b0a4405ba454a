// A tiny classic-BPF assembler: instructions with forward jump labels in, the bytes of a
// sock_filter[] out (for SO_ATTACH_FILTER and PACKET_FANOUT_DATA). Setup-time code only.

// Instruction classes, sizes, modes and operations from linux/filter.h (classic BPF).
const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;
const BPF_W = 0x00, BPF_H = 0x08, BPF_B = 0x10;
const BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_MEM = 0x60, BPF_LEN = 0x80, BPF_MSH = 0xa0;
const BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10;
const BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40;
const BPF_TAX = 0x00, BPF_TXA = 0x80;
export const ALU = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, neg: 0x80, mod: 0x90, xor: 0xa0,
} as const;
export type AluOp = keyof typeof ALU;

/** The X register as an operand: `alu('xor', X)` is A ^= X. */
export const X = 'x';
/** A jump target: a label, or null for the next instruction. */
export type Target = string | null;

const BPF_MAXINSNS = 4096;
/** Scratch memory words M[0..15]. */
const BPF_MEMWORDS = 16;
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface Insn {
  code: number;
  jt: Target;
  jf: Target;
  k: number;
  /** `ja` jumps by k, resolved from this label. */
  ja: string | null;
}

/**
 * Builds one program. Classic BPF jumps only forward, conditional ones at most 255 instructions;
 * assemble() checks both and names the offending label. Loads are relative to the start of what
 * the program is given: the Ethernet header for a socket filter, the network header for a fanout
 * program (the kernel runs that before it pushes the MAC header back).
 */
export class Cbpf {
  private readonly insns: Insn[] = [];
  private readonly labels = new Map<string, number>();

  get length(): number {
    return this.insns.length;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`cbpf: label ${name} defined twice`);
    this.labels.set(name, this.insns.length);
    return this;
  }

  private op(code: number, k = 0, jt: Target = null, jf: Target = null, ja: string | null = null): this {
    this.insns.push({ code, jt, jf, k: k >>> 0, ja });
    return this;
  }

  // ------------------------------------------------------------------ loads and stores

  /** A = 32-bit word at [k] (network order). */
  ld(k: number): this {
    return this.op(BPF_LD | BPF_W | BPF_ABS, k);
  }
  ldh(k: number): this {
    return this.op(BPF_LD | BPF_H | BPF_ABS, k);
  }
  ldb(k: number): this {
    return this.op(BPF_LD | BPF_B | BPF_ABS, k);
  }
  /** A = word at [X + k]. */
  ldInd(k: number): this {
    return this.op(BPF_LD | BPF_W | BPF_IND, k);
  }
  ldhInd(k: number): this {
    return this.op(BPF_LD | BPF_H | BPF_IND, k);
  }
  ldbInd(k: number): this {
    return this.op(BPF_LD | BPF_B | BPF_IND, k);
  }
  /** A = k. */
  ldImm(k: number): this {
    return this.op(BPF_LD | BPF_IMM, k);
  }
  /** A = packet length. */
  ldLen(): this {
    return this.op(BPF_LD | BPF_W | BPF_LEN);
  }
  /** A = M[i]. */
  ldMem(i: number): this {
    return this.op(BPF_LD | BPF_MEM, memSlot(i));
  }
  /** X = 4 * ([k] & 0xf): an IPv4 header's length, for loads past it with ldhInd. */
  ldxMsh(k: number): this {
    return this.op(BPF_LDX | BPF_B | BPF_MSH, k);
  }
  ldxImm(k: number): this {
    return this.op(BPF_LDX | BPF_IMM, k);
  }
  /** X = M[i]. */
  ldxMem(i: number): this {
    return this.op(BPF_LDX | BPF_MEM, memSlot(i));
  }
  /** M[i] = A. */
  st(i: number): this {
    return this.op(BPF_ST, memSlot(i));
  }
  tax(): this {
    return this.op(BPF_MISC | BPF_TAX);
  }
  txa(): this {
    return this.op(BPF_MISC | BPF_TXA);
  }

  // ------------------------------------------------------------------ arithmetic (32-bit)

  /** A = A op k (or op X); `neg` ignores the operand. mod and xor need Linux 3.7+. */
  alu(op: AluOp, operand: number | typeof X = 0): this {
    return operand === X ? this.op(BPF_ALU | ALU[op] | BPF_X) : this.op(BPF_ALU | ALU[op] | BPF_K, operand);
  }
  and(k: number | typeof X): this {
    return this.alu('and', k);
  }
  rsh(k: number | typeof X): this {
    return this.alu('rsh', k);
  }
  xor(k: number | typeof X): this {
    return this.alu('xor', k);
  }
  mul(k: number | typeof X): this {
    return this.alu('mul', k);
  }
  mod(k: number | typeof X): this {
    return this.alu('mod', k);
  }

  // ------------------------------------------------------------------ jumps and returns

  ja(target: string): this {
    return this.op(BPF_JMP | BPF_JA, 0, null, null, target);
  }
  /** if (A == k) goto jt else goto jf; null means the next instruction. */
  jeq(k: number | typeof X, jt: Target, jf: Target = null): this {
    return this.jump(BPF_JEQ, k, jt, jf);
  }
  jgt(k: number | typeof X, jt: Target, jf: Target = null): this {
    return this.jump(BPF_JGT, k, jt, jf);
  }
  jge(k: number | typeof X, jt: Target, jf: Target = null): this {
    return this.jump(BPF_JGE, k, jt, jf);
  }
  /** if (A & k) goto jt else goto jf. */
  jset(k: number | typeof X, jt: Target, jf: Target = null): this {
    return this.jump(BPF_JSET, k, jt, jf);
  }
  private jump(op: number, k: number | typeof X, jt: Target, jf: Target): this {
    return k === X ? this.op(BPF_JMP | op | BPF_X, 0, jt, jf) : this.op(BPF_JMP | op | BPF_K, k, jt, jf);
  }
  /** Return k: for a socket filter the bytes to keep (0 drops); for fanout the member (mod count). */
  ret(k: number): this {
    return this.op(BPF_RET | BPF_K, k);
  }
  retA(): this {
    return this.op(BPF_RET | BPF_A);
  }

  // ------------------------------------------------------------------ output

  /** The program as sock_filter[] in host byte order: {u16 code, u8 jt, u8 jf, u32 k}. */
  assemble(): Uint8Array {
    const n = this.insns.length;
    if (n === 0 || n > BPF_MAXINSNS) throw new Error(`cbpf: a program has 1..${BPF_MAXINSNS} instructions, not ${n}`);
    const last = this.insns[n - 1]!.code;
    if ((last & 0x07) !== BPF_RET && (last & 0x07) !== BPF_JMP) throw new Error('cbpf: the program must end in ret or a jump');
    const out = new Uint8Array(n * 8);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < n; i++) {
      const ins = this.insns[i]!;
      const k = ins.ja !== null ? this.offset(i, ins.ja, 0xffffffff) : ins.k;
      dv.setUint16(i * 8, ins.code, HOST_LE);
      dv.setUint8(i * 8 + 2, ins.jt === null ? 0 : this.offset(i, ins.jt, 255));
      dv.setUint8(i * 8 + 3, ins.jf === null ? 0 : this.offset(i, ins.jf, 255));
      dv.setUint32(i * 8 + 4, k, HOST_LE);
    }
    return out;
  }

  private offset(i: number, label: string, max: number): number {
    const at = this.labels.get(label);
    if (at === undefined) throw new Error(`cbpf: no label ${label}`);
    const off = at - (i + 1);
    if (off < 0) throw new Error(`cbpf: jump from ${i} back to ${label}: classic BPF only jumps forward`);
    if (off > max) throw new Error(`cbpf: jump from ${i} to ${label} is ${off} instructions, more than ${max}`);
    if (at >= this.insns.length) throw new Error(`cbpf: label ${label} is past the last instruction`);
    return off;
  }
}

function memSlot(i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= BPF_MEMWORDS) throw new Error(`cbpf: scratch slot M[${i}] is not 0..15`);
  return i;
}
