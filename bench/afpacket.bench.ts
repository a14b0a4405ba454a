// Benchmark of the AF_PACKET driver's own cost per packet: the ring walk with its copy into scratch
// and the send path, offline on synthetic rings; then, as root, live between two namespaces.
//
// `npm run bench:afpacket`. The live phase reuses the namespace lab and peer from test/drivers.

import { RX_SCRATCH_BYTES, type RingGeometry, RxRing, TP_STATUS_USER, TxRing } from '../src/drivers/afpacket-ring.js';
import { putV2, putV3Block } from '../test/support/tpacket.js';
import type { RecvJob, SendJob } from '../test/drivers/afpacket-peer.js';
import { VethLab } from '../test/drivers/veth-lab.js';

const SIZES = [64, 512, 1500];
const PACKETS = 4_000_000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** ns per call of fn(n) that handles n packets, best of several runs after warming up. */
function timeNs(fn: () => number, runs = 5): number {
  fn();
  const r: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const n = fn();
    r.push(Number(process.hrtime.bigint() - t) / n);
  }
  return median(r);
}

/** A full V2 or V3 ring of `len`-byte frames; rearm() hands every frame back to user space. */
function filledRing(version: 2 | 3, len: number): { u8: Uint8Array; g: RingGeometry; rearm: () => void } {
  const blockSize = 1 << 16, blockNr = 64, frameSize = 2048;
  const rxBytes = blockSize * blockNr, txBytes = 1024 * 2048;
  const g: RingGeometry = {
    version,
    rx: { offset: 0, bytes: rxBytes, blockSize, blockNr, frameSize, frameNr: (blockSize / frameSize) * blockNr },
    tx: { offset: rxBytes, bytes: txBytes, blockSize: 4096, blockNr: 512, frameSize: 2048, frameNr: 1024, dataOffset: version === 3 ? 48 : 32 },
  };
  const u8 = new Uint8Array(rxBytes + txBytes + RX_SCRATCH_BYTES);
  const frame = new Uint8Array(len).map((_, i) => i);
  const dv = new DataView(u8.buffer);
  const statusWords: number[] = [];
  if (version === 2) {
    for (let s = 0; s < g.rx.frameNr; s++) {
      putV2(u8, s * frameSize, frame);
      statusWords.push(s * frameSize);
    }
  } else {
    const per = Math.floor((blockSize - 48) / ((90 + len + 15) & ~15));
    for (let b = 0; b < blockNr; b++) {
      putV3Block(u8, b * blockSize, Array.from({ length: per }, () => frame));
      statusWords.push(b * blockSize + 8);
    }
  }
  const rearm = (): void => {
    for (const w of statusWords) dv.setUint32(w, TP_STATUS_USER, true);
  };
  return { u8, g, rearm };
}

function offline(): void {
  console.log('offline, synthetic rings in memory (ns per packet, median of 5):');
  console.log('  size   V2 rx walk+copy   V3 rx walk+copy   tx reserve+copy+commit   copyWithin alone');
  for (const len of SIZES) {
    const row: string[] = [];
    for (const version of [2, 3] as const) {
      const { u8, g, rearm } = filledRing(version, len);
      const rx = new RxRing(u8, g, u8.length - RX_SCRATCH_BYTES, false);
      let sink = 0;
      const handler = (_b: Uint8Array, _o: number, l: number): void => void (sink += l);
      row.push(timeNs(() => {
        let n = 0;
        while (n < PACKETS) {
          rearm();
          for (let k; (k = rx.burst(handler, 256)) > 0;) n += k;
        }
        return n;
      }).toFixed(1));
      if (sink === 0) throw new Error('nothing delivered');
    }
    const { u8, g } = filledRing(3, len);
    const tx = new TxRing(u8, g, false);
    const i32 = new Int32Array(u8.buffer);
    const src = u8.length - RX_SCRATCH_BYTES + 128;
    const txNs = timeNs(() => {
      for (let n = 0; n < PACKETS; n++) {
        const d = tx.reserve();
        if (d < 0) {
          // The kernel's part: every slot sent, status back to AVAILABLE.
          for (let s = 0; s < 1024; s++) i32[(g.tx.offset + s * 2048 + 20) >> 2] = 0;
          n--;
          continue;
        }
        u8.copyWithin(d, src, src + len);
        tx.commit(len);
      }
      return PACKETS;
    });
    const copyNs = timeNs(() => {
      for (let n = 0; n < PACKETS; n++) u8.copyWithin(g.tx.offset + 48 + (n & 1023) * 2048, src, src + len);
      return PACKETS;
    });
    console.log(`  ${String(len).padStart(4)}   ${row[0]!.padStart(15)}   ${row[1]!.padStart(15)}   ${txNs.toFixed(1).padStart(22)}   ${copyNs.toFixed(1).padStart(16)}`);
  }
}

interface Sent { sent: number; loopNsPerPkt: number; kickNsPerPkt: number }
interface Got { total: number; stats: { packets: number; drops: number }[]; loopNsPerPkt: number }

async function live(): Promise<void> {
  const lab = VethLab.create();
  try {
    console.log('\nlive, veth between two namespaces, 64-byte frames, 200k per run, bursts of 64 (ns per packet):');
    console.log('  ring   sender send()   sender kick   receiver rxBurst   received/sent   ring drops');
    for (const version of [2, 3] as const) {
      const count = 200_000;
      const rx = lab.peer<Got>(lab.nsB, { mode: 'recv', ifname: lab.ifB, options: { version }, count, timeoutMs: 20000, idleMs: 1000 } as RecvJob, 60000);
      await rx.ready;
      const tx = lab.peer<Sent>(lab.nsA, { mode: 'send', ifname: lab.ifA, options: { version }, seq: count, seqLen: 64, source: 'arena', burst: 64, gapMs: 0 } as SendJob, 60000);
      const [s, r] = await Promise.all([tx.done, rx.done]);
      console.log(`  V${version}     ${s.loopNsPerPkt.toFixed(0).padStart(13)}   ${s.kickNsPerPkt.toFixed(0).padStart(11)}   ${r.loopNsPerPkt.toFixed(0).padStart(16)}   ${`${r.total}/${s.sent}`.padStart(13)}   ${String(r.stats[0]!.drops).padStart(10)}`);
    }
  } finally {
    lab.destroy();
  }
}

offline();
if (process.getuid?.() === 0) await live();
else console.log('\nlive phase skipped: it needs root (network namespaces, AF_PACKET)');
