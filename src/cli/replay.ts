// `tsvs replay`: runs the engine over captures. The config script sets it up, input captures are
// merged by timestamp (their clock is the engine's), and what each port sends is captured.

import { readFile, writeFile } from 'node:fs/promises';
import { TsvsError, ScriptError } from '../errors.js';
import { parseScript } from '../control/script.js';
import { applyCommand } from '../control/apply.js';
import type { CaptureFrame } from '../drivers/pcap.js';
import { PcapWriter, readCapture } from '../drivers/pcap.js';
import { ManualClock, RxBuffer } from '../drivers/memory.js';
import type { FrameSink } from '../netif/stack.js';
import { PC_DROPS, PC_KERNEL_PKTS, PC_RX_PKTS, PC_TX_PKTS, PORT_COUNTERS } from '../netif/counters.js';
import { DROP_REASON_NAMES } from '../packet/drop-reason.js';
import { Engine } from '../worker/engine.js';

export interface ReplayOptions {
  /** Text of the config script. */
  config: string;
  /** Input captures: port name -> frames. */
  inputs: ReadonlyArray<{ port: string; frames: CaptureFrame[] }>;
  /** Ports whose sent frames are captured. */
  outputs: readonly string[];
  connCapacity?: number;
}

export interface PortSummary {
  name: string;
  in: number;
  out: number;
  kernel: number;
  drops: number;
}

export interface ReplayResult {
  engine: Engine;
  /** Captured frames per output port name. */
  captured: Map<string, CaptureFrame[]>;
  ports: PortSummary[];
  drops: Map<string, number>;
  toaNoRoom: number;
}

class CaptureSink implements FrameSink {
  readonly out = new Map<number, CaptureFrame[]>();
  constructor(private readonly clock: ManualClock) {}
  transmit(port: number, buf: Uint8Array, off: number, len: number): void {
    this.out.get(port)?.push({ tsMs: this.clock.now(), data: buf.slice(off, off + len) });
  }
  toKernel(): void {
    // Counted by the stack; replay has no kernel behind the port.
  }
}

/** Runs a replay in memory. Throws ScriptError (nothing run) when the config has a bad line. */
export function replay(opts: ReplayOptions): ReplayResult {
  const script = parseScript(opts.config);
  const merged: { port: string; f: CaptureFrame; seq: number }[] = [];
  let seq = 0;
  for (const inp of opts.inputs) for (const f of inp.frames) merged.push({ port: inp.port, f, seq: seq++ });
  // Stable merge by timestamp: frames with equal times keep their file and in-file order.
  merged.sort((a, b) => a.f.tsMs - b.f.tsMs || a.seq - b.seq);
  const clock = new ManualClock(merged.length > 0 ? merged[0]!.f.tsMs : 0);
  const sink = new CaptureSink(clock);
  const engine = new Engine(sink, clock, { connCapacity: opts.connCapacity ?? 1 << 16 });
  for (const s of script) {
    try {
      applyCommand(engine, s.command);
    } catch (e) {
      if (e instanceof TsvsError) throw new ScriptError(s.line, s.source, e);
      throw e;
    }
  }
  const portIndex = (name: string, what: string): number => {
    const p = engine.stack.portByName(name);
    if (!p) throw new TsvsError('TSVS_ERR_NO_PORT', `${what} names port ${name}, which the config does not declare (tsip link add ${name} lladdr MAC)`);
    return p.index;
  };
  const captured = new Map<string, CaptureFrame[]>();
  for (const name of opts.outputs) {
    const list: CaptureFrame[] = [];
    sink.out.set(portIndex(name, '--out'), list);
    captured.set(name, list);
  }
  const inPorts = new Map<string, number>();
  for (const inp of opts.inputs) inPorts.set(inp.port, portIndex(inp.port, '--in'));
  const rx = new RxBuffer();
  for (const m of merged) {
    clock.t = m.f.tsMs;
    engine.tick(clock.t);
    const len = rx.load(m.f.data);
    engine.input(inPorts.get(m.port)!, rx.buf, rx.off, len);
  }
  engine.tick(clock.t);
  const c = engine.stack.counters;
  const ports = engine.stack.ports.map((p) => ({
    name: p.name,
    in: c.port[p.index * PORT_COUNTERS + PC_RX_PKTS]!,
    out: c.port[p.index * PORT_COUNTERS + PC_TX_PKTS]!,
    kernel: c.port[p.index * PORT_COUNTERS + PC_KERNEL_PKTS]!,
    drops: c.port[p.index * PORT_COUNTERS + PC_DROPS]!,
  }));
  const drops = new Map<string, number>();
  c.drops.forEach((n, r) => { if (n > 0) drops.set(DROP_REASON_NAMES[r]!, n); });
  return { engine, captured, ports, drops, toaNoRoom: c.toaNoRoom };
}

export function formatSummary(r: ReplayResult): string {
  const lines: string[] = [];
  const w = Math.max(4, ...r.ports.map((p) => p.name.length));
  lines.push(`${'port'.padEnd(w)}  ${'in'.padStart(8)}  ${'out'.padStart(8)}  ${'kernel'.padStart(8)}  ${'drops'.padStart(8)}`);
  for (const p of r.ports) {
    lines.push(`${p.name.padEnd(w)}  ${String(p.in).padStart(8)}  ${String(p.out).padStart(8)}  ${String(p.kernel).padStart(8)}  ${String(p.drops).padStart(8)}`);
  }
  if (r.drops.size > 0) {
    lines.push('drops by reason:');
    for (const [k, n] of r.drops) lines.push(`  ${k.padEnd(20)} ${n}`);
  } else {
    lines.push('drops by reason: none');
  }
  if (r.toaNoRoom > 0) lines.push(`toa not inserted (no room): ${r.toaNoRoom}`);
  lines.push(`connections at end: ${r.engine.conns.count}`);
  return lines.join('\n');
}

function splitPortArg(arg: string, flag: string): { port: string; file: string } {
  const i = arg.indexOf('=');
  if (i <= 0 || i === arg.length - 1) throw new TsvsError('TSVS_ERR_INVALID_ARG', `${flag} takes PORT=FILE, got "${arg}"`);
  return { port: arg.slice(0, i), file: arg.slice(i + 1) };
}

/** Reads a file the operator named; a failure says which file, what it was for, and why. */
async function readNamedFile(file: string, what: string, code: 'TSVS_ERR_CONFIG' | 'TSVS_ERR_PCAP'): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    const c = (e as NodeJS.ErrnoException).code;
    const why = c === 'ENOENT' ? 'no such file' : c === 'EACCES' ? 'permission denied' : c === 'EISDIR' ? 'it is a directory' : String(e);
    throw new TsvsError(code, `cannot read ${file} (${what}): ${why}`);
  }
}

/** The CLI: reads files, replays, writes output captures, prints the summary. */
export async function replayMain(args: { config: string; in: string[]; out: string[] }): Promise<string> {
  const config = (await readNamedFile(args.config, 'config', 'TSVS_ERR_CONFIG')).toString('utf8');
  const ins = args.in.map((a) => splitPortArg(a, '--in'));
  const outs = args.out.map((a) => splitPortArg(a, '--out'));
  const inputs = [];
  for (const i of ins) {
    const bytes = await readNamedFile(i.file, `input capture for port ${i.port}`, 'TSVS_ERR_PCAP');
    try {
      inputs.push({ port: i.port, frames: readCapture(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) });
    } catch (e) {
      if (e instanceof TsvsError) throw new TsvsError(e.code, `${i.file}: ${e.message}`);
      throw e;
    }
  }
  const r = replay({ config, inputs, outputs: outs.map((o) => o.port) });
  for (const o of outs) {
    const w = new PcapWriter();
    for (const f of r.captured.get(o.port)!) w.write(f.tsMs, f.data);
    await writeFile(o.file, w.toBytes());
  }
  return formatSummary(r);
}
