// Which worker's socket holds each slot of the afpacket fanout groups, as the kernel numbers
// them: the host keeps the model in a SharedArrayBuffer, every worker reads it to build its program.

/*
 * Linux (net/packet/af_packet.c): a joining socket takes slot `num_members`; a leaving one
 * (__fanout_unlink) is replaced by the LAST member, and the count drops. Every worker joins every
 * port's group in the same order, so one table serves all the groups. Layout (Int32Array):
 *   [0] generation (bumped after each change)   [1] member count   [2 + slot] worker index
 */
const GEN = 0;
const COUNT = 1;
const SLOTS = 2;

/** The host's side: it sees the joins (worker 'ready') and the leaves (thread exit), in order. */
export class FanoutMembers {
  readonly buffer: SharedArrayBuffer;
  private readonly a: Int32Array;
  private readonly slots: number[] = [];

  constructor(readonly workers: number) {
    this.buffer = new SharedArrayBuffer((SLOTS + workers) * 4);
    this.a = new Int32Array(this.buffer);
  }

  /** Worker `w`'s sockets joined their groups: they took the next slot. */
  joined(w: number): void {
    if (this.slots.includes(w)) return;
    this.slots.push(w);
    this.publish();
  }

  /** Worker `w`'s sockets are closed: the last member moved into its slot. */
  left(w: number): void {
    const i = this.slots.indexOf(w);
    if (i < 0) return;
    const last = this.slots.pop()!;
    if (i < this.slots.length) this.slots[i] = last;
    this.publish();
  }

  get members(): readonly number[] {
    return this.slots;
  }

  private publish(): void {
    this.slots.forEach((w, i) => Atomics.store(this.a, SLOTS + i, w));
    Atomics.store(this.a, COUNT, this.slots.length);
    Atomics.add(this.a, GEN, 1);
  }
}

/** A worker's view of the table: cheap to poll (one atomic load), read whole when it changed. */
export class FanoutMembersView {
  private readonly a: Int32Array;
  private seen = -1;

  constructor(buffer: SharedArrayBuffer) {
    this.a = new Int32Array(buffer);
  }

  /** True once after each change of the table (and on the first call). */
  changed(): boolean {
    return Atomics.load(this.a, GEN) !== this.seen;
  }

  /** The current slots (slot -> worker); re-read if the host changed it meanwhile. */
  read(): number[] {
    for (;;) {
      const gen = Atomics.load(this.a, GEN);
      const n = Atomics.load(this.a, COUNT);
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(Atomics.load(this.a, SLOTS + i));
      if (Atomics.load(this.a, GEN) === gen) {
        this.seen = gen;
        return out;
      }
    }
  }
}
