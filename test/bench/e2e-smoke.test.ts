// The end-to-end bench's machinery, checked with real packets: the sink counts exactly what a
// forwarder forwards (none with nothing forwarding, every frame through the kernel's routing, its
// DNAT and tsvs), and `bench:e2e` itself runs briefly and reports parseable rows. No timing is
// asserted.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Forwarder, kernelRoute, nftDnat, nothing, tsvs } from '../../bench/e2e/forwarders.js';
import { type Kind, generateCount } from '../../bench/e2e/generator.js';
import { BenchTopology, forwarderCpus } from '../../bench/e2e/topology.js';
import type { ConnRow, PpsRow } from '../../bench/e2e.bench.js';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && !process.env.CI ? 'needs root for network namespaces, nftables and AF_PACKET (CI runs it as root)' : false;
const BENCH = fileURLToPath(new URL('../../bench/e2e.bench.js', import.meta.url));
const N = 500;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('bench:e2e', { skip, timeout: 60_000 }, () => {
  let topo: BenchTopology;

  before(() => {
    topo = new BenchTopology('tsvs-smoke');
    topo.build();
    topo.sinkOn();
  });

  after(async () => {
    await topo?.destroy();
  });

  /** Sends exactly N frames (after a few that resolve ARP) and returns [offered, delivered]. */
  async function exactly(f: Forwarder, kinds: Kind[]): Promise<[number, number][]> {
    const { cpus } = forwarderCpus(f.cpuCount);
    topo.steerTo(cpus);
    await f.start(topo, cpus);
    try {
      await generateCount(topo, 'udp', 8, 1000);
      await sleep(300);
      const out: [number, number][] = [];
      for (const kind of kinds) {
        const o0 = topo.offered(), s0 = topo.sinkCount();
        await generateCount(topo, kind, N, 5000);
        await sleep(300);
        out.push([topo.offered() - o0, topo.sinkCount() - s0]);
      }
      return out;
    } finally {
      await f.stop(topo);
    }
  }

  test(`the sink counts 0 of ${N} frames with nothing forwarding`, async () => {
    assert.deepEqual(await exactly(nothing, ['udp']), [[N, 0]]);
  });

  test(`the sink counts all ${N} UDP frames through the kernel's routing`, async () => {
    assert.deepEqual(await exactly(kernelRoute, ['udp']), [[N, N]]);
  });

  test(`the sink counts all ${N} UDP frames through nftables DNAT (without it the VIP routes back out)`, async () => {
    assert.deepEqual(await exactly(nftDnat, ['udp']), [[N, N]]);
  });

  test(`the sink counts all ${N} UDP frames and ${N} SYNs through tsvs FullNAT`, async () => {
    assert.deepEqual(await exactly(tsvs('fnat', 1), ['udp', 'syn']), [[N, N], [N, N]]);
  });

  test('bench:e2e runs and reports a row per forwarder, HTTP through tsvs after its flood; 2 workers figures or says why not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-smoke-'));
    try {
      const json = join(dir, 'rows.json');
      const r = spawnSync(process.execPath, [BENCH], {
        encoding: 'utf8',
        env: { ...process.env, TSVS_BENCH_SECONDS: '0.5', TSVS_BENCH_ONLY: 'none,route,tsvs-fnat-1w,tsvs-nat-2w', TSVS_BENCH_KINDS: 'udp', TSVS_BENCH_JSON: json },
        timeout: 50_000,
      });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      const { pps, conns } = JSON.parse(readFileSync(json, 'utf8')) as { pps: PpsRow[]; conns: ConnRow[] };
      assert.deepEqual(pps.map((p) => `${p.id} ${p.kind}`), ['none udp', 'route udp', 'tsvs-fnat-1w udp', 'tsvs-nat-2w udp']);
      const [none, route, fnat, two] = pps as [PpsRow, PpsRow, PpsRow, PpsRow];
      assert.equal(none.delivered, 0);
      assert.ok(none.offered > 0, 'the generator sent nothing');
      assert.ok(route.delivered > 0 && route.delivered <= route.offered, `route: ${route.delivered} of ${route.offered}`);
      assert.ok(fnat.delivered > 0 && fnat.delivered <= fnat.offered, `FullNAT: ${fnat.delivered} of ${fnat.offered}`);
      // The conns/s run comes after the flood, with the sink gone: every request answered.
      assert.deepEqual(conns.map((c) => [c.id, c.na, c.errors]), [['tsvs-fnat-1w', undefined, null]]);
      assert.ok(conns[0]!.requests > 0, 'no HTTP request completed');
      if (two.na !== undefined) assert.match(two.na, /^daemon refused: /);
      else assert.ok(two.delivered > 0 && two.delivered <= two.offered, `2 workers: ${two.delivered} of ${two.offered}`);
      assert.match(r.stdout, /sink check: ok/);
      assert.match(r.stdout, /^ {2}kernel routing +udp +1 +[\d.]+ +[\d.]+ /m);
      assert.match(r.stdout, two.na !== undefined ? /2 workers >= 1\.8x one \(pps\): +NAT udp n\/a\n +n\/a: daemon refused: / : /2 workers >= 1\.8x one \(pps\): +NAT udp n\/a \(no 1-worker figure\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
