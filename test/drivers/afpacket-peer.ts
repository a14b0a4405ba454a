// The AF_PACKET test peer: run by afpacket.test.ts inside a network namespace (`ip netns exec`),
// it sends or receives through our rings and reports one JSON line. Not a test file itself.
//
// A child process per namespace rather than setns() from the test: setns moves only the calling
// thread, and a crash in native code then takes down one peer, not the test runner.

import { readFileSync, writeFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AfPacketPorts, type AfPacketOptions } from '../../src/drivers/afpacket.js';
import { afPacketAddon } from '../../src/drivers/afpacket-addon.js';
import { AfPacketPortDriver } from '../../src/drivers/afpacket-port-driver.js';
import { PcapWriter, readCapture } from '../../src/drivers/pcap.js';

export interface SendJob {
  mode: 'send';
  ifname: string;
  options?: AfPacketOptions;
  /** Frames to send, from a pcap file, or `seq` generated frames of seqLen bytes. */
  pcap?: string;
  seq?: number;
  seqLen?: number;
  /** Copy each frame into the arena first (the engine's path) or send from a foreign buffer. */
  source: 'arena' | 'foreign';
  burst: number;
  gapMs: number;
}

export interface RecvJob {
  mode: 'recv';
  ifname: string;
  options?: AfPacketOptions;
  /** Sockets on the interface; with `fanout` they join one group in order (member i = socket i). */
  sockets?: number;
  fanout?: { group: number; mode: number; prog?: string };
  /** Socket filter (base64 sock_filter[]), on every socket. */
  filter?: string;
  /** Stop after this many frames (all sockets), or after timeoutMs. */
  count: number;
  timeoutMs: number;
  /** Write socket i's frames to `${out}.${i}.pcap`; without it, check a sequence number instead. */
  out?: string;
  /** Run the receive loop in a worker_thread (the main thread loads the addon first). */
  worker?: boolean;
  /** Leave the sockets open at the end, as a worker that dies would: its teardown must close them. */
  leak?: boolean;
  /** Close socket 1 once in its group, before traffic: everything must then reach socket 0. */
  closeSecond?: boolean;
  /** Stop once no frame came for this long (after the first). */
  idleMs?: number;
}

/**
 * The daemon's worker driver on one port: hold the ring unread for holdMs while a sender floods
 * it, then drain it; report what came through and what rxMissed() says was lost.
 */
export interface MissedJob {
  mode: 'missed';
  ifname: string;
  options: AfPacketOptions;
  holdMs: number;
  idleMs: number;
}

export type Job = SendJob | RecvJob | MissedJob;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => void Atomics.wait(sleepCell, 0, 0, ms);
const nowNs = (): bigint => process.hrtime.bigint();

function send(job: SendJob): object {
  const io = AfPacketPorts.open([{ ifname: job.ifname, options: job.options }]);
  const s = io.sockets[0]!;
  const frames = job.pcap ? readCapture(readFileSync(job.pcap)).map((f) => f.data) : [];
  const total = job.pcap ? frames.length : job.seq!;
  const seqFrame = new Uint8Array(job.seqLen ?? 64);
  seqFrame.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]);
  const seqView = new DataView(seqFrame.buffer);
  // Timed per burst, not per frame: a clock read per frame would cost more than the frame.
  let loopNs = 0n, kickNs = 0n, t0 = nowNs();
  for (let i = 0; i < total; i++) {
    let f = frames[i];
    if (f === undefined) {
      seqView.setUint32(14, i);
      f = seqFrame;
    }
    let ok: boolean;
    if (job.source === 'arena') {
      s.u8.set(f, s.rx.frameOff); // stands in for a frame the engine rewrote in receive scratch
      ok = s.send(s.u8, s.rx.frameOff, f.length);
    } else {
      ok = s.send(f, 0, f.length);
    }
    if (!ok) throw new Error(`send ${i} failed: txFull ${s.txFull} txTooBig ${s.txTooBig}`);
    if ((i + 1) % job.burst === 0 || i + 1 === total) {
      const t1 = nowNs();
      io.flush();
      const t2 = nowNs();
      loopNs += t1 - t0;
      kickNs += t2 - t1;
      if (job.gapMs > 0) sleep(job.gapMs);
      t0 = nowNs();
    }
  }
  // Wait for the kernel to take every slot before the socket goes away.
  for (let tries = 0; s.tx.busy() > 0 && tries < 200; tries++) {
    s.flush(true);
    sleep(5);
  }
  const r = {
    sent: s.txFrames, busy: s.tx.busy(), kicks: s.kicks, kickErrors: s.kickErrors, lastKickErrno: s.lastKickErrno,
    txForeign: s.txForeign, loopNsPerPkt: Number(loopNs) / total, kickNsPerPkt: Number(kickNs) / total,
  };
  io.close();
  return r;
}

function recv(job: RecvJob): object {
  const n = job.sockets ?? 1;
  const io = AfPacketPorts.open(Array.from({ length: n }, () => ({ ifname: job.ifname, options: job.options })));
  for (const s of io.sockets) {
    if (job.filter) s.attachFilter(Buffer.from(job.filter, 'base64'));
    if (job.fanout) s.joinFanout(job.fanout.group, job.fanout.mode, 0, job.fanout.prog ? Buffer.from(job.fanout.prog, 'base64') : undefined);
  }
  // Whatever arrived before the filters and the group were in place is not part of the test.
  for (const s of io.sockets) while (s.rxBurst(() => {}) > 0);
  for (const s of io.sockets) s.stats();
  const packetSockets = { before: countPacketSockets(), after: 0 };
  if (job.closeSecond) io.sockets[1]!.close();
  packetSockets.after = countPacketSockets();
  const live = io.sockets.filter((_, i) => !(job.closeSecond && i === 1));
  process.stdout.write(JSON.stringify({ event: 'ready' }) + '\n');

  const writers = io.sockets.map(() => new PcapWriter());
  const got = new Array<number>(n).fill(0);
  let seqErrors = 0, total = 0, loopNs = 0n;
  const dv = new DataView(io.u8.buffer); // every frame is handed over in this one arena
  const handlers = io.sockets.map((_, i) => (buf: Uint8Array, off: number, len: number): void => {
    if (job.out) writers[i]!.write(0, buf, off, len);
    else if (len < 18 || dv.getUint32(off + 14) !== got[i]) seqErrors++;
    got[i]!++;
  });
  const deadline = Date.now() + job.timeoutMs;
  let lastFrame = 0;
  while (total < job.count && Date.now() < deadline) {
    if (job.idleMs && total > 0 && Date.now() - lastFrame > job.idleMs) break;
    if (!live.some((s) => s.rx.ready())) io.poll(20);
    for (let i = 0; i < n; i++) {
      if (job.closeSecond && i === 1) continue;
      const t0 = nowNs();
      const k = io.sockets[i]!.rxBurst(handlers[i]!);
      loopNs += nowNs() - t0;
      total += k;
      if (k > 0) lastFrame = Date.now();
    }
  }
  const stats = live.map((s) => s.stats());
  if (job.out) writers.forEach((w, i) => writeFileSync(`${job.out}.${i}.pcap`, w.toBytes()));
  const r = { got, total, seqErrors, stats, packetSockets, counters: io.sockets.map((s) => ({ ...s.rx.counters })), loopNsPerPkt: Number(loopNs) / Math.max(1, total) };
  if (!job.leak) io.close();
  return r;
}

/** Packet sockets open in this network namespace (/proc/net/packet lists one per line). */
function countPacketSockets(): number {
  return readFileSync('/proc/net/packet', 'utf8').trim().split('\n').length - 1;
}

function missed(job: MissedJob): object {
  const d = new AfPacketPortDriver({ driver: 'afpacket', ports: [{ ifname: job.ifname, options: job.options }] });
  const lost = new Float64Array(1);
  // Whatever came before the test starts (and its loss count) is not part of it.
  while (d.rxBurst(() => {}, 256) > 0);
  d.rxMissed(lost);
  lost[0] = 0;
  process.stdout.write(JSON.stringify({ event: 'ready' }) + '\n');
  sleep(job.holdMs);
  let got = 0, last = Date.now();
  while (Date.now() - last < job.idleMs) {
    const k = d.rxBurst(() => void got++, 256);
    if (k > 0) last = Date.now();
    else d.wait(5);
  }
  d.rxMissed(lost);
  const first = lost[0]!;
  // PACKET_STATISTICS resets on read: a second read adds nothing.
  d.rxMissed(lost);
  d.close();
  return { got, missed: first, again: lost[0]! - first };
}

function run(job: Job): object {
  return job.mode === 'send' ? send(job) : job.mode === 'recv' ? recv(job) : missed(job);
}

if (!isMainThread) {
  parentPort!.postMessage(run(workerData as Job));
} else {
  const job = JSON.parse(process.argv[2]!) as Job;
  const done = (r: object): void => void process.stdout.write(JSON.stringify({ event: 'done', ...r }) + '\n');
  if (job.mode === 'recv' && job.worker) {
    // Load the addon on the main thread first: a non-context-aware addon would fail in the worker.
    const mac = afPacketAddon().ifaceInfo(job.ifname).mac;
    const before = countPacketSockets();
    const w = new Worker(new URL(import.meta.url), { workerData: job, stdout: false });
    let report: object = {};
    w.on('message', (r: object) => (report = r));
    w.on('exit', () => done({
      ...report, worker: true, mainThreadMac: Buffer.from(mac).toString('hex'), socketsBeforeWorker: before, socketsAfterWorker: countPacketSockets(),
    }));
    w.on('error', (e) => {
      process.stdout.write(JSON.stringify({ event: 'error', message: e.message }) + '\n');
      process.exitCode = 1;
    });
  } else {
    done(run(job));
  }
}
