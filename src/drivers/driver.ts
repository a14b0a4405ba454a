// The port driver contract: how a worker thread receives and sends frames, whatever the NIC is
// (memory rings for tests, AF_PACKET rings later). One driver instance per worker; never per packet.

import type { FrameSink } from '../netif/stack.js';
import { type IpAddr, ipEquals } from '../packet/inet.js';

/**
 * Called once per received frame with a view into ring memory: buf[off, off+len), with at least
 * XMIT_HEADROOM bytes before off and XMIT_TAILROOM after the frame, which the engine may rewrite
 * in place. The view is only valid during the call (the slot is released after the burst).
 */
export type RxHandler = (port: number, buf: Uint8Array, off: number, len: number) => void;

/**
 * A worker's side of the driver. TX (the FrameSink half) copies into send slots and may batch;
 * flush() hands the batch over (one kernel kick per burst on AF_PACKET).
 */
export interface PortDriver extends FrameSink {
  /** Delivers up to `max` received frames, across all ports, to the handler; returns how many. */
  rxBurst(handler: RxHandler, max: number): number;
  /** Makes everything transmitted since the last flush visible to the other side. */
  flush(): void;
  /** Blocks the worker until a frame may be waiting or timeoutMs passes (idle only). */
  wait(timeoutMs: number): void;
  /** Frames the driver had to drop on send (ring full); the worker publishes this count. */
  txDrops(): number;
  /**
   * Adds to missed[port] the frames lost on receive since the last call, before the engine saw
   * them (a full ring). A system call per socket: call it now and then, never per burst.
   */
  rxMissed?(missed: Float64Array): void;
  /** Called after each configuration batch the worker applied whose owned addresses changed. */
  addressesChanged?(owned: OwnedAddrs): void;
  close(): void;
}

/**
 * The main thread's side of a driver: it owns the shared memory (or opens nothing, for drivers
 * whose workers open their own sockets) and tells each worker thread how to open its half.
 */
export interface DriverHost {
  readonly name: string;
  /** What worker `index` passes to openWorkerDriver: structured-clonable (SharedArrayBuffers, numbers). */
  workerInit(index: number): DriverInit;
  /** Wakes worker `index` out of wait() so it sees new configuration at once (best effort). */
  wake(index: number): void;
  /**
   * Called on the main thread for each batch whose owned addresses change, just before it is
   * committed; throwing (a TsvsError) refuses the batch, which then changes nothing.
   */
  addressesChanged?(owned: OwnedAddrs): void;
  /**
   * Checks a batch's resulting configuration (its port names, in index order, and what it owns)
   * before it is committed: throws a TsvsError to refuse it, e.g. a port the workers cannot open.
   */
  check?(ports: readonly string[], owned: OwnedAddrs): void;
  /**
   * Worker `index` opened its driver (it reported 'ready'); the pool opens one worker's driver at
   * a time, so drivers whose sockets join groups in order (afpacket fanout) see them in order.
   */
  workerJoined?(index: number): void;
  /** Worker `index`'s thread is gone, and with it its driver's sockets. */
  workerLeft?(index: number): void;
  close(): void;
}

export interface DriverInit {
  readonly driver: string;
  /** Whether this worker answers ARP requests and NS (default true; see Stack.answerNeighbours). */
  readonly answerNeighbours?: boolean;
  readonly [k: string]: unknown;
}

/**
 * The addresses tsvs answers for on its ports: what the kernel beside it must leave alone (the
 * takeover) and what flow steering must know (FullNAT replies come back to LIPs; NAT replies are
 * steered by the client side, found by the VIPs). Sorted and deduplicated, so two snapshots of the
 * same configuration compare equal by `sameOwnedAddrs`.
 */
export interface OwnedAddrs {
  /** Service addresses (each once, whatever the ports and protocols on it). */
  readonly vips: readonly IpAddr[];
  /** FullNAT local addresses (--add-laddr), shared by services. */
  readonly lips: readonly IpAddr[];
  /** Interface addresses (`tsip addr add`) that are neither VIPs nor LIPs. */
  readonly local: readonly IpAddr[];
}

export function sameOwnedAddrs(a: OwnedAddrs, b: OwnedAddrs): boolean {
  const same = (x: readonly IpAddr[], y: readonly IpAddr[]): boolean => x.length === y.length && x.every((v, i) => ipEquals(v, y[i]!));
  return same(a.vips, b.vips) && same(a.lips, b.lips) && same(a.local, b.local);
}
