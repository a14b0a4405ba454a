// The Prometheus exposition of the daemon's counters (/metrics), with prom-client. Metrics are
// read at scrape time from the workers' shared counters; workers never call prom-client.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Daemon } from './daemon.js';
import type { ServiceView } from './views.js';
import { portCounters } from './api/json.js';
import { DROP_REASON_COUNT, DROP_REASON_NAMES } from '../packet/drop-reason.js';
import { formatIpPort } from '../packet/inet.js';
import { WS_BURSTS, WS_CONNS, WS_SCALARS, WS_TOA_NO_ROOM, WS_TX_RING_DROPS } from '../worker/shared.js';

/*
 * prom-client keeps values inside each metric; here every metric is re-filled from a snapshot in
 * its collect() (reset, then set/inc to the absolute value), so the registry is only a formatter.
 * The snapshot (service views with live counts queried from the workers, and each worker's
 * counter block) is taken once per scrape, before the registry walks its metrics, so all series
 * of one scrape come from the same moment.
 */

interface Snapshot {
  readonly services: readonly ServiceView[];
  readonly workers: readonly Float64Array[];
  readonly restarts: readonly number[];
  readonly ports: readonly { name: string; index: number }[];
}

export interface MetricsOptions {
  readonly version: string;
  readonly connCapacity: number;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private snap: Snapshot = { services: [], workers: [], restarts: [], ports: [] };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly daemon: Daemon, o: MetricsOptions) {
    const r = this.registry;
    const snap = (): Snapshot => this.snap;
    /** A counter or gauge whose collect() refills it from the snapshot. */
    const counter = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, v: number) => void, s: Snapshot) => void): void => {
      new Counter({
        name, help, labelNames, registers: [r],
        collect(this: Counter) { this.reset(); fill((l, v) => this.inc(l, v), snap()); },
      });
    };
    const gauge = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, v: number) => void, s: Snapshot) => void): void => {
      new Gauge({
        name, help, labelNames, registers: [r],
        collect(this: Gauge) { this.reset(); fill((l, v) => this.set(l, v), snap()); },
      });
    };

    new Gauge({ name: 'tsvs_build_info', help: 'tsvs version and the Node.js running it (always 1)', labelNames: ['version', 'node'], registers: [r] })
      .set({ version: o.version, node: process.version }, 1);

    // ---- IPVS: per service and per dest ----
    const svc = (s: ServiceView) => ({ service: s.key });
    const dest = (s: ServiceView, d: ServiceView['dests'][number]) => ({ service: s.key, dest: formatIpPort(d.addr, d.port) });
    counter('tsvs_service_connections_total', 'Connections scheduled to the service', ['service'], (set, { services }) => {
      for (const s of services) set(svc(s), s.stats.conns);
    });
    counter('tsvs_service_packets_total', 'Packets of the service, in (client to server) and out', ['service', 'direction'], (set, { services }) => {
      for (const s of services) { set({ ...svc(s), direction: 'in' }, s.stats.inPkts); set({ ...svc(s), direction: 'out' }, s.stats.outPkts); }
    });
    counter('tsvs_service_bytes_total', 'Bytes of the service, in and out', ['service', 'direction'], (set, { services }) => {
      for (const s of services) { set({ ...svc(s), direction: 'in' }, s.stats.inBytes); set({ ...svc(s), direction: 'out' }, s.stats.outBytes); }
    });
    counter('tsvs_dest_connections_total', 'Connections scheduled to the real server', ['service', 'dest'], (set, { services }) => {
      for (const s of services) for (const d of s.dests) set(dest(s, d), d.stats.conns);
    });
    counter('tsvs_dest_packets_total', 'Packets of the real server, in and out', ['service', 'dest', 'direction'], (set, { services }) => {
      for (const s of services) for (const d of s.dests) { set({ ...dest(s, d), direction: 'in' }, d.stats.inPkts); set({ ...dest(s, d), direction: 'out' }, d.stats.outPkts); }
    });
    counter('tsvs_dest_bytes_total', 'Bytes of the real server, in and out', ['service', 'dest', 'direction'], (set, { services }) => {
      for (const s of services) for (const d of s.dests) { set({ ...dest(s, d), direction: 'in' }, d.stats.inBytes); set({ ...dest(s, d), direction: 'out' }, d.stats.outBytes); }
    });
    gauge('tsvs_dest_active_connections', 'Connections to the real server in ESTABLISHED (ipvsadm ActiveConn)', ['service', 'dest'], (set, { services }) => {
      for (const s of services) for (const d of s.dests) set(dest(s, d), d.activeConns);
    });
    gauge('tsvs_dest_inactive_connections', 'Connections to the real server in any other state (ipvsadm InActConn)', ['service', 'dest'], (set, { services }) => {
      for (const s of services) for (const d of s.dests) set(dest(s, d), d.inactConns);
    });
    gauge('tsvs_dest_weight', 'The real server\'s weight (0: quiescent)', ['service', 'dest'], (set, { services }) => {
      for (const s of services) for (const d of s.dests) set(dest(s, d), d.weight);
    });
    gauge('tsvs_service_active_connections', 'Active connections of the service (sum over its dests)', ['service'], (set, { services }) => {
      for (const s of services) set(svc(s), s.dests.reduce((n, d) => n + d.activeConns, 0));
    });
    gauge('tsvs_service_inactive_connections', 'Inactive connections of the service (sum over its dests)', ['service'], (set, { services }) => {
      for (const s of services) set(svc(s), s.dests.reduce((n, d) => n + d.inactConns, 0));
    });

    // ---- per worker ----
    const scalar = (name: string, help: string, slot: number, kind: 'counter' | 'gauge'): void => {
      (kind === 'counter' ? counter : gauge)(name, help, ['worker'], (set, { workers }) => {
        workers.forEach((c, w) => set({ worker: String(w) }, c[slot]!));
      });
    };
    scalar('tsvs_worker_connections', 'Entries in the worker\'s connection table', WS_CONNS, 'gauge');
    scalar('tsvs_worker_bursts_total', 'Receive bursts the worker processed', WS_BURSTS, 'counter');
    scalar('tsvs_worker_tx_ring_drops_total', 'Frames dropped because the TX ring was full', WS_TX_RING_DROPS, 'counter');
    scalar('tsvs_worker_toa_no_room_total', 'FullNAT segments forwarded without TOA (no room in the TCP header)', WS_TOA_NO_ROOM, 'counter');
    counter('tsvs_worker_restarts_total', 'Times the worker thread died and was restarted (its connections were lost)', ['worker'], (set, { restarts }) => {
      restarts.forEach((n, w) => set({ worker: String(w) }, n));
    });
    gauge('tsvs_worker_connection_capacity', 'Connection slots of the worker (tsvs.conf conn_pool_size)', ['worker'], (set, { workers }) => {
      workers.forEach((_, w) => set({ worker: String(w) }, o.connCapacity));
    });
    counter('tsvs_worker_drops_total', 'Frames the worker dropped, by reason', ['worker', 'reason'], (set, { workers }) => {
      workers.forEach((c, w) => {
        for (let i = 1; i < DROP_REASON_COUNT; i++) set({ worker: String(w), reason: DROP_REASON_NAMES[i]! }, c[WS_SCALARS + i]!);
      });
    });
    const port = (name: string, help: string, field: keyof ReturnType<typeof portCounters>): void => {
      counter(name, help, ['worker', 'port'], (set, { workers, ports }) => {
        workers.forEach((c, w) => { for (const p of ports) set({ worker: String(w), port: p.name }, portCounters(c, p.index)[field]); });
      });
    };
    port('tsvs_port_rx_packets_total', 'Frames received on the port by the worker', 'rxPackets');
    port('tsvs_port_rx_bytes_total', 'Bytes received on the port by the worker', 'rxBytes');
    port('tsvs_port_tx_packets_total', 'Frames sent on the port by the worker', 'txPackets');
    port('tsvs_port_tx_bytes_total', 'Bytes sent on the port by the worker', 'txBytes');
    port('tsvs_port_kernel_packets_total', 'Frames left to the kernel', 'kernelPackets');
    port('tsvs_port_drops_total', 'Frames received on the port and dropped', 'drops');
    port('tsvs_port_rx_missed_total', 'Frames lost before the worker saw them (receive ring full)', 'rxMissed');

    // process_* and nodejs_* of the main thread (the control plane), prom-client's defaults.
    collectDefaultMetrics({ register: r });
  }

  /** Takes the snapshot, then renders every metric from it (Prometheus text format). */
  scrape(): Promise<string> {
    // One scrape at a time: a second one must not replace the snapshot the first is rendering.
    const p = this.queue.then(() => this.render());
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async render(): Promise<string> {
    const d = this.daemon;
    this.snap = {
      services: await d.services(),
      workers: Array.from({ length: d.pool.size }, (_, i) => d.pool.counters(i)),
      restarts: Array.from({ length: d.pool.size }, (_, i) => d.pool.restarts(i)),
      ports: d.current.stack.ports.map((p) => ({ name: p.name, index: p.index })),
    };
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
