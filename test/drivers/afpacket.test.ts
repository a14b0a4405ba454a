// The AF_PACKET driver on real kernels: two network namespaces and a veth pair, our TX ring on one
// end and our RX ring on the other (V2 and V3), PACKET_STATISTICS, cBPF fanout, worker_threads,
// offloads, the errors an operator sees, and the eventfd that wakes a polling worker.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { AfPacketSocket } from '../../src/drivers/afpacket.js';
import { PACKET_FANOUT_CBPF, PACKET_FANOUT_HASH, afPacketAddon } from '../../src/drivers/afpacket-addon.js';
import { Cbpf } from '../../src/drivers/cbpf.js';
import { fanoutProgram } from '../../src/drivers/fanout-program.js';
import { workerPortMask } from '../../src/ipvs/laddr.js';
import { PcapWriter, readCapture } from '../../src/drivers/pcap.js';
import { eth, ipv4 } from '../support/builder.js';
import { runCbpf } from '../support/cbpf-run.js';
import { verifyFrameChecksums } from '../support/csum-ref.js';
import type { RecvJob, SendJob } from './afpacket-peer.js';
import { VethLab } from './veth-lab.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces and AF_PACKET (CI runs it as root)' : false;
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

interface RecvReport {
  got: number[];
  total: number;
  seqErrors: number;
  stats: { packets: number; drops: number; freezeQueue: number }[];
  counters: { frames: number; gso: number; csumCompleted: number; csumNotReady: number; truncated: number }[];
  packetSockets: { before: number; after: number };
  loopNsPerPkt: number;
  worker?: boolean;
  mainThreadMac?: string;
  socketsBeforeWorker?: number;
  socketsAfterWorker?: number;
}
interface SendReport { sent: number; busy: number; kickErrors: number; txForeign: number; loopNsPerPkt: number; kickNsPerPkt: number }

/** The frames of a pcap file, as plain Uint8Arrays (readFileSync gives Buffers). */
const readPcap = (path: string): Uint8Array[] => readCapture(new Uint8Array(readFileSync(path))).map((f) => f.data);

/** A socket filter (L2 offsets: the Ethernet header is at 0) keeping frames from one source MAC. */
function fromMac(mac: string): Uint8Array {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  return new Cbpf().ld(6).jeq(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0, null, 'drop')
    .ldh(10).jeq((b[4]! << 8) | b[5]!, null, 'drop').ret(0x40000).label('drop').ret(0).assemble();
}

/** Deterministic test frames: varied sizes and payloads, some VLAN-tagged (802.1Q and 802.1ad). */
function testFrames(n: number, src: string, dst: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    const len = i === 0 ? 60 : i === 1 ? 1514 : 60 + ((i * 7919) % 1455);
    const body = new Uint8Array(len - 14);
    for (let j = 0; j < body.length; j++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      body[j] = x & 0xff;
    }
    let f = eth({ src, dst, type: 0x88b5, ...(i % 17 === 5 ? { vlan: i % 4000 + 1, pcp: i % 8 } : {}) }).payload(body).build();
    if (i % 29 === 7) f = Uint8Array.from([...f.subarray(0, 12), 0x88, 0xa8, 0x20, 0x07, ...f.subarray(12)]);
    out.push(f);
  }
  return out;
}

describe('AF_PACKET rings between two network namespaces', { skip, timeout: 120000 }, () => {
  let lab: VethLab;
  let dir: string;
  before(() => {
    lab = VethLab.create();
    dir = mkdtempSync(join(tmpdir(), 'tsvs-afpacket-'));
  });
  after(() => {
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Sends `frames` from A through our TX ring and receives them on B through our RX ring. */
  async function sendAndReceive(name: string, frames: Uint8Array[], send: Partial<SendJob>, recv: Partial<RecvJob>) {
    const pcap = join(dir, `${name}-sent.pcap`), out = join(dir, `${name}-got`);
    const w = new PcapWriter();
    for (const f of frames) w.write(0, f);
    writeFileSync(pcap, w.toBytes());
    const rx = lab.peer<RecvReport>(lab.nsB, { mode: 'recv', ifname: lab.ifB, count: frames.length, timeoutMs: 10000, out, ...recv } as RecvJob);
    await rx.ready;
    const tx = lab.peer<SendReport>(lab.nsA, { mode: 'send', ifname: lab.ifA, pcap, source: 'arena', burst: 32, gapMs: 1, ...send } as SendJob);
    const [s, r] = await Promise.all([tx.done, rx.done]);
    const got = r.got.map((_, i) => readPcap(`${out}.${i}.pcap`));
    return { s, r, got };
  }

  for (const [version, source] of [[2, 'foreign'], [3, 'arena']] as const) {
    test(`TPACKET_V${version}: frames sent through our TX ring arrive byte-identical through our RX ring`, async () => {
      const src = '02:00:00:00:aa:01';
      const frames = testFrames(300, src, lab.macB);
      const { s, r, got } = await sendAndReceive(`ident-v${version}`, frames, { options: { version }, source }, { options: { version }, filter: b64(fromMac(src)) });
      assert.equal(s.sent, frames.length);
      assert.equal(s.kickErrors, 0);
      assert.equal(s.txForeign, source === 'foreign' ? frames.length : 0, 'the arena path copies with copyWithin');
      assert.equal(got[0]!.length, frames.length);
      for (let i = 0; i < frames.length; i++) assert.deepEqual(got[0]![i], frames[i], `frame ${i} (${frames[i]!.length} bytes)`);
      assert.deepEqual(r.stats[0], { packets: frames.length, drops: 0, freezeQueue: 0 });
    });
  }

  for (const version of [2, 3] as const) {
    test(`TPACKET_V${version}: a 10k-frame burst arrives whole and in order; PACKET_STATISTICS agree`, async (t) => {
      const rx = lab.peer<RecvReport>(lab.nsB, {
        mode: 'recv', ifname: lab.ifB, options: { version }, count: 10000, timeoutMs: 15000, filter: b64(fromMac('02:00:00:00:00:01')),
      });
      await rx.ready;
      const tx = lab.peer<SendReport>(lab.nsA, { mode: 'send', ifname: lab.ifA, options: { version }, seq: 10000, seqLen: 64, source: 'arena', burst: 64, gapMs: 1 });
      const [s, r] = await Promise.all([tx.done, rx.done]);
      assert.equal(s.sent, 10000);
      assert.equal(r.total, 10000);
      assert.equal(r.seqErrors, 0, 'every frame in order, none twice');
      assert.equal(r.stats[0]!.packets, 10000, 'the kernel counted what we read');
      assert.equal(r.stats[0]!.drops, 0);
      t.diagnostic(`V${version}: sender ${s.loopNsPerPkt.toFixed(0)} ns/pkt in send(), ${s.kickNsPerPkt.toFixed(0)} ns/pkt in kick; receiver ${r.loopNsPerPkt.toFixed(0)} ns/pkt in rxBurst`);
    });
  }

  test('a full receive ring: the frames it could not take are what the driver reports as missed (dpip imissed)', async () => {
    // One 64 KB block of 2 KB frames: a TPACKET_V2 ring of exactly 32 slots, held unread.
    const options = { version: 2 as const, blockSize: 65536, blockNr: 1, frameSize: 2048 };
    const rx = lab.peer<{ got: number; missed: number; again: number }>(lab.nsB, { mode: 'missed', ifname: lab.ifB, options, holdMs: 1500, idleMs: 300 });
    await rx.ready;
    const tx = lab.peer<SendReport>(lab.nsA, { mode: 'send', ifname: lab.ifA, seq: 500, seqLen: 64, source: 'arena', burst: 50, gapMs: 1 });
    const [s, r] = await Promise.all([tx.done, rx.done]);
    assert.equal(s.sent, 500);
    assert.deepEqual([r.got, r.missed, r.again], [32, 500 - 32, 0]);
  });

  test('two sockets in a cBPF fanout group: both directions of every FullNAT, NAT and DR flow reach the same member', async () => {
    const src = '02:00:00:00:bb:01', members = 2, mask = workerPortMask(members);
    const prog = fanoutProgram({
      workers: members, vips4: [0x0a000064], vips6: [[0x20010db8, 0, 0, 0x100]], lips4: [0xc0a864c8], lips6: [[0x20010db8, 0x10000, 0, 0x200]],
    });
    const member = (f: Uint8Array): number => runCbpf(prog, f.subarray(14)) % members;
    const frames: { f: Uint8Array; flow: number }[] = [];
    const add = (flow: number, b: { build(): Uint8Array }): void => {
      // A trailer past the IP packet (Ethernet padding to the kernel) names the frame.
      const f = b.build(), id = frames.length;
      frames.push({ f: Uint8Array.from([...f, 0x74, 0x73, id >> 8, id & 0xff]), flow });
    };
    const e = () => eth({ src, dst: lab.macB });
    for (let i = 0; i < 48; i++) {
      const cip = `10.1.${i >> 4}.${(i * 13) % 250 + 1}`, cport = 20000 + i * 37;
      const fwd = e().ipv4({ src: cip, dst: '10.0.0.100' }).tcp({ sport: cport, dport: 80, flags: 'S' });
      const m = member(fwd.build());
      const lport = ((30000 + i * 8) & ~mask) | m; // the port the owning worker would pick
      add(i, fwd);
      add(i, e().ipv4({ src: '10.0.0.100', dst: cip }).tcp({ sport: 80, dport: cport, flags: 'SA' }));
      // NAT: the real server answers the client itself (tsvs rewrites the source to the VIP).
      add(i, e().ipv4({ src: '192.168.100.3', dst: cip }).tcp({ sport: 8080, dport: cport, flags: 'SA' }));
      add(i, e().ipv4({ src: '192.168.100.1', dst: cip }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: ipv4({ src: cip, dst: '192.168.100.3' }).tcp({ sport: cport, dport: 8080 }), quoteLen: 28 }));
      add(i, e().ipv4({ src: '192.168.100.2', dst: '192.168.100.200' }).tcp({ sport: 80, dport: lport, flags: 'SA' }));
      add(i, e().ipv4({ src: '10.0.0.1', dst: '10.0.0.100' }).icmp({ type: 'dest-unreach', code: 4, mtu: 1400, quote: ipv4({ src: '10.0.0.100', dst: cip }).tcp({ sport: 80, dport: cport }), quoteLen: 28 }));
      add(i, e().ipv4({ src: '192.168.100.1', dst: '192.168.100.200' }).icmp({ type: 'time-exceeded', quote: ipv4({ src: '192.168.100.200', dst: '192.168.100.2' }).tcp({ sport: lport, dport: 80 }), quoteLen: 28 }));
    }
    for (let i = 48; i < 64; i++) {
      const cip = `2001:db8::c:${i.toString(16)}`, cport = 40000 + i;
      const fwd = e().ipv6({ src: cip, dst: '2001:db8::100' }).udp({ sport: cport, dport: 53 });
      const lport = ((50000 + i * 8) & ~mask) | member(fwd.build());
      add(i, fwd);
      add(i, e().ipv6({ src: '2001:db8::100', dst: cip }).udp({ sport: 53, dport: cport }));
      add(i, e().ipv6({ src: '2001:db8:1::3', dst: cip }).udp({ sport: 5353, dport: cport }));
      add(i, e().ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::200' }).udp({ sport: 53, dport: lport }));
    }
    const { r, got } = await sendAndReceive('fanout', frames.map((x) => x.f), {}, {
      sockets: members, filter: b64(fromMac(src)), fanout: { group: 1 + (process.pid % 60000), mode: PACKET_FANOUT_CBPF, prog: b64(prog) },
    });
    const at = new Map<number, number>();
    got.forEach((list, m) => list.forEach((f) => at.set((f[f.length - 2]! << 8) | f[f.length - 1]!, m)));
    assert.equal(at.size, frames.length, `every frame once (members got ${r.got})`);
    const flowMember = new Map<number, number>();
    frames.forEach(({ f, flow }, id) => {
      assert.equal(at.get(id), member(f), `frame ${id} went where the interpreter says the kernel sends it`);
      if (!flowMember.has(flow)) flowMember.set(flow, at.get(id)!);
      assert.equal(at.get(id), flowMember.get(flow), `flow ${flow}: every direction and its ICMP errors on one member`);
    });
    const perMember = [0, 1].map((m) => [...flowMember.values()].filter((x) => x === m).length);
    assert.ok(perMember.every((n) => n >= 16), `flows split between members: ${perMember}`);
  });

  test('close() leaves the group at once: the closed socket takes no more of the traffic', async () => {
    const src = '02:00:00:00:cc:01';
    const frames = Array.from({ length: 400 }, (_, i) =>
      eth({ src, dst: lab.macB }).ipv4({ src: `10.9.${i >> 8}.${i & 255}`, dst: '10.0.0.100' }).udp({ sport: 1000 + i, dport: 53 }).build());
    const { r } = await sendAndReceive('close', frames, {}, {
      sockets: 2, filter: b64(fromMac(src)), fanout: { group: 2 + (process.pid % 60000), mode: PACKET_FANOUT_HASH }, closeSecond: true, count: frames.length, idleMs: 1500,
    });
    assert.equal(r.packetSockets.after, r.packetSockets.before - 1, 'the socket is gone from /proc/net/packet, not kept by its mapping');
    assert.equal(r.got[0], frames.length, 'the remaining member received every frame');
  });

  test('the addon loads and receives inside a worker_thread; a worker that exits leaves no socket', async () => {
    const src = '02:00:00:00:dd:01';
    const frames = testFrames(100, src, lab.macB);
    const { r, got } = await sendAndReceive('worker', frames, {}, { worker: true, leak: true, filter: b64(fromMac(src)) });
    assert.equal(r.worker, true);
    assert.equal(r.mainThreadMac, lab.macB.replaceAll(':', ''), 'the main thread loaded it first');
    assert.deepEqual(got[0], frames);
    assert.equal(r.socketsAfterWorker, r.socketsBeforeWorker, 'the worker never closed its socket: its teardown did');
  });

  test('offloads: with vnetHdr GSO super-frames are counted and CHECKSUM_PARTIAL completed; with offloads off neither appears', async (t) => {
    lab.sh(lab.nsA, 'ip', 'addr', 'add', '10.199.0.1/24', 'dev', lab.ifA);
    lab.sh(lab.nsB, 'ip', 'addr', 'add', '10.199.0.2/24', 'dev', lab.ifB);
    const server = spawn('ip', ['netns', 'exec', lab.nsB, process.execPath, '-e',
      "require('net').createServer((s) => s.resume()).listen(5001, '10.199.0.2', () => console.log('up'))"], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((res) => server.stdout.once('data', () => res()));
      // IPv4 TCP to port 5001, L2 offsets; X = the IP header length.
      const filter = new Cbpf().ldh(12).jeq(0x0800, null, 'drop').ldb(23).jeq(6, null, 'drop').ldxMsh(14).ldhInd(16)
        .jeq(5001, null, 'drop').ret(0x40000).label('drop').ret(0).assemble();
      const round = async (name: string) => {
        const out = join(dir, name);
        const rx = lab.peer<RecvReport>(lab.nsB, { mode: 'recv', ifname: lab.ifB, count: 1e9, timeoutMs: 15000, idleMs: 700, out, filter: b64(filter) });
        await rx.ready;
        lab.sh(lab.nsA, process.execPath, '-e',
          "const s = require('net').connect(5001, '10.199.0.2', () => s.end(Buffer.alloc(1 << 20, 7))); s.on('close', () => process.exit(0))");
        const r = await rx.done;
        return { r, frames: readPcap(`${out}.0.pcap`) };
      };
      const on = await round('offloads-on');
      t.diagnostic(`offloads on: ${JSON.stringify(on.r.counters[0])}`);
      assert.ok(on.r.counters[0]!.gso > 0, 'the veth peer sent TSO super-frames');
      assert.ok(on.r.counters[0]!.csumCompleted > 0, 'and CHECKSUM_PARTIAL frames');
      for (const f of on.frames) assert.ok(verifyFrameChecksums(f).ok, verifyFrameChecksums(f).problems.join('; '));

      for (const [ns, dev] of [[lab.nsA, lab.ifA], [lab.nsB, lab.ifB]] as const) {
        lab.sh(ns, 'ethtool', '-K', dev, 'tso', 'off', 'gso', 'off', 'tx', 'off', 'gro', 'off');
      }
      const off = await round('offloads-off');
      t.diagnostic(`offloads off: ${JSON.stringify(off.r.counters[0])}`);
      assert.equal(off.r.counters[0]!.gso, 0);
      assert.equal(off.r.counters[0]!.csumCompleted + off.r.counters[0]!.csumNotReady, 0);
      assert.ok(off.frames.length > (1 << 20) / 1500, `${off.frames.length} MTU-sized frames`);
      for (const f of off.frames) {
        assert.ok(f.length <= 1514);
        assert.ok(verifyFrameChecksums(f).ok, verifyFrameChecksums(f).problems.join('; '));
      }
    } finally {
      if (server.pid !== undefined && server.exitCode === null) process.kill(server.pid, 'SIGTERM');
    }
  });
});

describe('AF_PACKET errors an operator can act on', () => {
  const missing = `tsvsnx${process.pid % 100000}`;

  test('a missing interface is named, with where to look', () => {
    assert.throws(() => AfPacketSocket.open(missing), (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'ENODEV');
      assert.equal(e.message, `open ${missing}: No such device (no interface named ${missing} in this network namespace; see \`ip link\`)`);
      return true;
    });
    assert.throws(() => afPacketAddon().ifaceInfo(missing), { code: 'ENODEV', message: /interface tsvsnx\d+: No such device/ });
  });

  test('bad ring settings say which setting and why', () => {
    assert.throws(() => AfPacketSocket.open('lo', { version: 4 as 3 }), { code: 'ERR_INVALID_ARG_VALUE', message: /version must be 2 or 3/ });
    assert.throws(() => AfPacketSocket.open('lo', { blockSize: 5000 }), { message: /blockSize 5000 must be a multiple of the page size/ });
    assert.throws(() => AfPacketSocket.open('lo', { frameSize: 100 }), { message: /frame size 100 must be a multiple of 16/ });
    assert.throws(() => afPacketAddon().close(987654), { code: 'EBADF', message: /not an open tsvs AF_PACKET socket/ });
  });

  test('without CAP_NET_RAW the message says what is needed', () => {
    const script = `import('${new URL('../../src/drivers/afpacket.js', import.meta.url).href}').then((m) => {
      try { m.AfPacketSocket.open('lo'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
    })`;
    // As root, drop the capability for one child; otherwise we already lack it.
    const cmd = isRoot ? ['setpriv', '--bounding-set=-net_raw', '--inh-caps=-net_raw', process.execPath] : [process.execPath];
    const have = spawnSync(cmd[0]!, ['--version'], { stdio: 'ignore' }).status === 0;
    if (!have) return;
    const out = execFileSync(cmd[0]!, [...cmd.slice(1), '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), { code: 'EPERM', message: 'open lo: Operation not permitted (need root / CAP_NET_RAW)' });
  });
});

describe('the wake-up eventfd', () => {
  test('a thread blocked in poll() returns as soon as another thread signals; drain() re-arms it', async () => {
    const addon = afPacketAddon();
    const fd = addon.eventFd();
    try {
      const revents = new Int32Array(1);
      assert.equal(addon.poll(Int32Array.of(fd), 0, revents), 0, 'not readable before a signal');
      const url = new URL('../../src/drivers/afpacket-addon.js', import.meta.url).href;
      const w = new Worker(`const { parentPort, workerData } = require('node:worker_threads');
        import(${JSON.stringify(url)}).then((m) => {
          const a = m.afPacketAddon(), r = new Int32Array(1);
          parentPort.postMessage('polling');
          const t0 = Date.now();
          const n = a.poll(Int32Array.of(workerData), 20000, r);
          parentPort.postMessage({ n, ms: Date.now() - t0, drained: a.drain(workerData), after: a.poll(Int32Array.of(workerData), 0, r) });
        });`, { eval: true, workerData: fd });
      const msgs: unknown[] = [];
      const done = new Promise<{ n: number; ms: number; drained: number; after: number }>((resolve) => w.on('message', (m) => (m === 'polling' ? msgs.push(m) : resolve(m))));
      while (msgs.length === 0) await sleep(10);
      await sleep(200);
      assert.equal(addon.signal(fd), true);
      const r = await done;
      await w.terminate();
      assert.equal(r.n, 1, 'poll returned for the eventfd');
      assert.ok(r.ms < 5000, `woken in ${r.ms} ms, not at the 20 s timeout`);
      assert.equal(r.drained, 1, 'one signal');
      assert.equal(r.after, 0, 'drained: poll blocks again');
    } finally {
      addon.closeEventFd(fd);
    }
    assert.throws(() => addon.signal(fd), { code: 'EBADF', message: /not an eventfd from eventFd\(\)/ });
  });
});
