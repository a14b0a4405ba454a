// `tsip link show [-s] [DEV]` and `tsip link show [-s] cpu[N]` in dpip's format
// (tools/dpip/link.c dump_nic_basic / dump_nic_stats / dump_cpu_basic / dump_cpu_stats), from
// the workers' counter blocks (layout in worker/shared.ts): summed per port, or one worker's.

import type { Engine } from '../../worker/engine.js';
import { PC_DROPS, PC_KERNEL_PKTS, PC_RX_BYTES, PC_RX_MISSED, PC_RX_PKTS, PC_TX_BYTES, PC_TX_PKTS, PORT_COUNTERS } from '../../netif/counters.js';
import { DROP_REASON_COUNT, DROP_REASON_NAMES } from '../../packet/drop-reason.js';
import { formatMac } from '../../packet/inet.js';
import { WS_BURSTS, WS_CONNS, WS_SCALARS } from '../../worker/shared.js';
import { TsvsError } from '../../errors.js';
import { left } from './printf.js';

const DROPS_AT = WS_SCALARS;
const PORTS_AT = WS_SCALARS + DROP_REASON_COUNT;

/** dpip's two-line stats block: names and values, each in 20 columns, indented by 4. */
function block(names: readonly string[], values: readonly number[]): string {
  return `    ${names.map((n) => left(n, 20)).join('')}\n    ${values.map((v) => left(v, 20)).join('')}\n`;
}

function portCounter(c: Float64Array, port: number, field: number): number {
  return c[PORTS_AT + port * PORT_COUNTERS + field]!;
}

/**
 * Each port: index+1, socket 0, rx/tx queues = workers; link state and speed (0: tsvs does not
 * know it); the MAC in DPDK's upper case; no offload flags (tsvs checksums in software).
 * -s: packets and bytes as dpip prints them, then imissed (lost in the receive ring, as dpip's)
 * and tsvs's own drops and to-kernel counts where dpip has NIC error counters and mbufs.
 */
export function linkShow(state: Engine, o: { name?: string; stats: boolean; verbose?: boolean }, totals: Float64Array, workers: number): string {
  const ports = o.name === undefined ? state.stack.ports : [state.stack.port(o.name)];
  return ports.map((p) => {
    let s = `${p.index + 1}: ${p.name}: socket 0 mtu ${p.mtu} rx-queue ${workers} tx-queue ${workers}\n`;
    s += `    ${p.up ? 'UP' : 'DOWN'} 0 Mbps \n`;
    s += `    addr ${formatMac(p.mac).toUpperCase()} \n`;
    if (o.stats) {
      const f = (field: number): number => portCounter(totals, p.index, field);
      s += block(['ipackets', 'opackets', 'ibytes', 'obytes'], [f(PC_RX_PKTS), f(PC_TX_PKTS), f(PC_RX_BYTES), f(PC_TX_BYTES)]);
      s += block(['imissed', 'dropped', 'to-kernel'], [f(PC_RX_MISSED), f(PC_DROPS), f(PC_KERNEL_PKTS)]);
    }
    if (o.verbose) s += xstats(totals);
    return s;
  }).join('');
}

/**
 * -v: where dpip lists the NIC's extended stats (`xstats list:` then `id name: value`), tsvs lists
 * its drop reasons, summed over workers and every port: why packets were dropped is what an
 * operator looks for there. Every reason is printed, zero or not, so scripts find each name.
 */
function xstats(totals: Float64Array): string {
  let s = '    xstats list:\n';
  for (let i = 0; i < DROP_REASON_COUNT; i++) s += `        ${left(i, 6)}drop_${DROP_REASON_NAMES[i]}: ${totals[DROPS_AT + i]}\n`;
  return s;
}

/** `cpu` (every worker, under dpip's `<< Data Plane >>`) or `cpuN` (one worker). */
export function isCpuName(name: string | undefined): boolean {
  return name !== undefined && /^cpu\d*$/.test(name);
}

/**
 * Workers as dpip shows lcores: `N: cpuW: socket 0` and the ports whose queue W serves; -s adds
 * the worker's packets and bytes over all ports, its bursts, drops (all reasons) and connections.
 */
export function cpuShow(state: Engine, name: string, stats: boolean, perWorker: readonly Float64Array[]): string {
  const one = name === 'cpu' ? undefined : Number(name.slice(3));
  if (one !== undefined && !(one < perWorker.length)) throw new TsvsError('TSVS_ERR_NO_PORT', `no such worker: ${name} (workers cpu0..cpu${perWorker.length - 1})`);
  const queues = state.stack.ports.map((p) => p.name).join(' ');
  let out = one === undefined ? '<< Data Plane >>\n' : '';
  perWorker.forEach((c, w) => {
    if (one !== undefined && w !== one) return;
    out += `${w + 1}: cpu${w}: socket 0\n    queues ${queues || 'none'}\n`;
    if (!stats) return;
    let rx = 0, rxb = 0, tx = 0, txb = 0, drops = 0;
    for (const p of state.stack.ports) {
      rx += portCounter(c, p.index, PC_RX_PKTS);
      rxb += portCounter(c, p.index, PC_RX_BYTES);
      tx += portCounter(c, p.index, PC_TX_PKTS);
      txb += portCounter(c, p.index, PC_TX_BYTES);
    }
    for (let i = 0; i < DROP_REASON_COUNT; i++) drops += c[DROPS_AT + i]!;
    out += block(['bursts', 'dropped', 'conns'], [c[WS_BURSTS]!, drops, c[WS_CONNS]!]);
    out += block(['ipackets', 'ibytes', 'opackets', 'obytes'], [rx, rxb, tx, txb]);
  });
  return out;
}
