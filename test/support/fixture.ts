// Katran-style fixtures: a conversation is data (input frame, what must come out, on which port,
// or which drop counter moves), run in order against one engine sharing state.

import assert from 'node:assert/strict';
import { Engine, type EngineOptions } from '../../src/worker/engine.js';
import { ManualClock, MemorySink, RxBuffer, type SentFrame } from '../../src/drivers/memory.js';
import { parseScript } from '../../src/control/script.js';
import { applyCommand } from '../../src/control/apply.js';
import { DROP_REASON_NAMES } from '../../src/packet/drop-reason.js';
import type { PacketBuilder } from './builder.js';
import { type Dissection, dissect, matchFields } from './dissect.js';
import { verifyFrameChecksums } from './csum-ref.js';

/** Values later steps refer to (an allocated local port, a sequence delta ...). */
export type Ctx = Record<string, number | string>;

/** A deep partial of a Dissection; any leaf may be a function of the context. */
export type Expect = { [k: string]: unknown };

export interface OutFrame {
  port: string;
  /** Fields that must hold (others are free). */
  expect: Expect;
  /** The frame goes up to the kernel instead of out of the port. */
  kernel?: boolean;
}

export interface Step {
  desc: string;
  /** Milliseconds to advance the clock (and run timers) before the input; what the timers send is part of `out`. */
  wait?: number;
  /**
   * Config lines (tsip/tsvsadm/tsvs) applied after the wait and before the input, as an operator
   * types them while traffic flows.
   */
  config?: string;
  /**
   * The frame to feed; omit for a step that only waits. A function builds it from the context,
   * for fields that answer what came out before (a real server acking the ISN tsvs chose).
   */
  in?: { port: string; frame: PacketBuilder | Uint8Array | ((ctx: Ctx) => PacketBuilder) };
  /** Frames that must come out, in order; [] means nothing may come out. */
  out: OutFrame[];
  /** Drop reason whose counter must grow by one. */
  drop?: string;
  /** Saves values from the dissected outputs into the context. */
  save?: (outs: Dissection[], ctx: Ctx) => void;
  /** Extra checks on the engine after the step. */
  check?: (engine: Engine, ctx: Ctx) => void;
}

export interface Conversation {
  engine: Engine;
  ctx: Ctx;
  clock: ManualClock;
  sink: MemorySink;
  /** Runs one step and returns what came out. */
  step(s: Step): SentFrame[];
}

/** Builds an engine from a config script (tsip/tsvsadm lines) at clock time `startMs`. */
export function engineFrom(config: string, opts: EngineOptions & { startMs?: number } = {}): Conversation {
  const sink = new MemorySink();
  const clock = new ManualClock(opts.startMs ?? 1_000_000);
  const engine = new Engine(sink, clock, opts);
  for (const l of parseScript(config)) applyCommand(engine, l.command);
  const rx = new RxBuffer();
  const ctx: Ctx = {};
  const conv: Conversation = {
    engine, ctx, clock, sink,
    step(s: Step): SentFrame[] {
      // Frames and drops from the timers the wait runs belong to this step.
      const before = Float64Array.from(engine.stack.counters.drops);
      sink.take();
      if (s.wait !== undefined) {
        clock.t += s.wait;
        engine.tick(clock.t);
      }
      if (s.config !== undefined) for (const l of parseScript(s.config)) applyCommand(engine, l.command);
      if (s.in) {
        const port = engine.stack.portByName(s.in.port);
        assert.ok(port, `${s.desc}: no port ${s.in.port}`);
        const fr = s.in.frame;
        const f = fr instanceof Uint8Array ? fr : typeof fr === 'function' ? fr(ctx).build() : fr.build();
        engine.input(port.index, rx.buf, rx.off, rx.load(f));
      }
      const got = sink.take();
      const dropped = engine.stack.counters.drops.map((n, i) => n - before[i]!);
      const dropNames = [...dropped].flatMap((n, i) => (n > 0 ? [`${DROP_REASON_NAMES[i]}(${n})`] : []));
      if (s.drop !== undefined) {
        const idx = DROP_REASON_NAMES.indexOf(s.drop);
        assert.ok(idx >= 0, `${s.desc}: unknown drop reason ${s.drop}`);
        assert.equal(dropped[idx], 1, `${s.desc}: expected drop ${s.drop}, saw [${dropNames.join(', ')}]`);
      }
      assert.equal(got.length, s.out.length,
        `${s.desc}: expected ${s.out.length} frame(s) out, got ${got.length} (drops: [${dropNames.join(', ')}])`
        + got.map((g) => `\n  ${engine.stack.ports[g.port]!.name}${g.kernel ? ' (kernel)' : ''}: ${JSON.stringify(dissect(g.data))}`).join(''));
      const ds: Dissection[] = [];
      s.out.forEach((o, k) => {
        const g = got[k]!;
        const d = dissect(g.data);
        ds.push(d);
        const where = `${s.desc}: frame ${k + 1}`;
        assert.equal(engine.stack.ports[g.port]!.name, o.port, `${where}: sent on the wrong port`);
        assert.equal(g.kernel, o.kernel ?? false, `${where}: kernel/port mismatch`);
        const cs = verifyFrameChecksums(g.data);
        assert.ok(cs.ok, `${where}: checksums: ${cs.problems.join('; ')}`);
        const miss = matchFields(d, resolve(o.expect, ctx));
        assert.deepEqual(miss, [], `${where}: ${miss.join('; ')}\n  got ${JSON.stringify(d)}`);
      });
      s.save?.(ds, ctx);
      s.check?.(engine, ctx);
      return got;
    },
  };
  return conv;
}

/** Runs every step of a conversation in order against one engine. */
export function runConversation(config: string, steps: readonly Step[], opts?: EngineOptions & { startMs?: number }): Conversation {
  const c = engineFrom(config, opts);
  for (const s of steps) c.step(s);
  return c;
}

function resolve(e: unknown, ctx: Ctx): unknown {
  if (typeof e === 'function') return (e as (c: Ctx) => unknown)(ctx);
  if (Array.isArray(e)) return e.map((x) => resolve(x, ctx));
  if (e !== null && typeof e === 'object' && !(e instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(e)) o[k] = resolve(v, ctx);
    return o;
  }
  return e;
}

/** Unsigned 32-bit addition, for sequence numbers in expectations. */
export function u32(n: number): number {
  return n >>> 0;
}
