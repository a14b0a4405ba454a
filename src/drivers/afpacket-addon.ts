// Loads the native AF_PACKET addon (native/, built by `npm run build:native`) and types its API.
// The addon only sets sockets up and does per-burst syscalls; it never sees a packet's contents.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TsvsError } from '../errors.js';
import type { RingGeometry } from './afpacket-ring.js';

/** Options of the addon's open(); every one has a default suited to a 1500-byte MTU port. */
export interface AddonOpenOptions {
  /** TPACKET_V2 (per-frame handover: lowest latency) or TPACKET_V3 (per-block: least CPU). Default 3. */
  version?: 2 | 3;
  /** RX ring: blocks of blockSize bytes (a page multiple), frames of frameSize (a multiple of 16). */
  blockSize?: number;
  blockNr?: number;
  frameSize?: number;
  /** V3: hand a block over after this many ms even if not full (0: the kernel's default). */
  retireMs?: number;
  txFrameSize?: number;
  txFrameNr?: number;
  /** Send straight to the driver, past the qdisc (default true). */
  qdiscBypass?: boolean;
  /** Do not see our own transmissions (default true). */
  ignoreOutgoing?: boolean;
  /** PACKET_VNET_HDR: frames carry a virtio_net_hdr (GSO and checksum offload info). Default false. */
  vnetHdr?: boolean;
  /** Without `arena`: bytes of private scratch after the TX ring, in the same buffer. */
  scratchSize?: number;
  /** A socket filter (sock_filter[] bytes, Ethernet-header offsets) attached before bind(). */
  filter?: Uint8Array;
  /** Map the rings into this buffer from arena() at arenaOffset (a page multiple). */
  arena?: ArrayBuffer;
  arenaOffset?: number;
}

export interface AddonSocket extends RingGeometry {
  fd: number;
  ifindex: number;
  ifname: string;
  hdrLen: number;
  vnetHdr: boolean;
  /** The arena holding the rings (RX ring, then TX ring, at rx.offset). */
  buffer: ArrayBuffer;
  /** The private scratch, when open() made the arena itself. */
  scratchOffset: number;
  scratchBytes: number;
}

export interface AddonStats {
  /** Packets that passed the filter, including the dropped ones (the kernel adds them in). */
  packets: number;
  /** Packets lost because the RX ring was full. */
  drops: number;
  /** V3: times the ring froze with every block owned by user space. */
  freezeQueue: number;
}

export interface IfaceInfo {
  ifindex: number;
  mac: Uint8Array;
  mtu: number;
  up: boolean;
  running: boolean;
  ethernet: boolean;
}

export interface AfPacketAddon {
  open(ifname: string, opts?: AddonOpenOptions): AddonSocket;
  ringSize(opts?: AddonOpenOptions): RingGeometry & { hdrLen: number };
  arena(bytes: number): ArrayBuffer;
  /** One fd: its revents (0 on timeout). Several: the ready count, revents written per fd. */
  poll(fd: number, timeoutMs: number): number;
  poll(fds: Int32Array, timeoutMs: number, revents: Int32Array): number;
  /** Sends every SEND_REQUEST frame: bytes sent, or -errno. */
  kick(fd: number): number;
  stats(fd: number): AddonStats;
  fanout(fd: number, groupId: number, mode: number, flags: number, cbpf?: Uint8Array): void;
  /** Replaces the program of the PACKET_FANOUT_CBPF group the socket is in (for every member). */
  fanoutProgram(fd: number, cbpf: Uint8Array): void;
  attachFilter(fd: number, cbpf: Uint8Array | null): void;
  ifaceInfo(ifname: string): IfaceInfo;
  close(fd: number): void;
  /** A wake-up eventfd (non-blocking): poll it with sockets; signal() from any thread makes it readable. */
  eventFd(): number;
  signal(fd: number): boolean;
  /** Reads the eventfd back to unreadable; returns how many signals it had. */
  drain(fd: number): number;
  closeEventFd(fd: number): void;
  readonly pageSize: number;
}

// linux/if_packet.h
export const PACKET_FANOUT_HASH = 0;
export const PACKET_FANOUT_LB = 1;
export const PACKET_FANOUT_CPU = 2;
export const PACKET_FANOUT_ROLLOVER = 3;
export const PACKET_FANOUT_RND = 4;
export const PACKET_FANOUT_QM = 5;
export const PACKET_FANOUT_CBPF = 6;
export const PACKET_FANOUT_FLAG_ROLLOVER = 0x1000;
export const PACKET_FANOUT_FLAG_DEFRAG = 0x8000;
export const POLLIN = 0x001;
export const POLLERR = 0x008;

/** Where build:native leaves the addon, from dist/src/drivers/. TSVS_AFPACKET_ADDON overrides. */
const ADDON_PATH = fileURLToPath(new URL('../../../build/Release/tsvs_afpacket.node', import.meta.url));

let addon: AfPacketAddon | null = null;

/** The addon, loaded once per thread (it is context-aware: every worker may load it). */
export function afPacketAddon(): AfPacketAddon {
  if (addon) return addon;
  const path = process.env.TSVS_AFPACKET_ADDON || ADDON_PATH;
  if (process.platform !== 'linux') {
    throw new TsvsError('TSVS_ERR_NATIVE', `AF_PACKET needs Linux; this is ${process.platform}`);
  }
  try {
    addon = createRequire(import.meta.url)(path) as AfPacketAddon;
  } catch (e) {
    throw new TsvsError('TSVS_ERR_NATIVE', `cannot load the AF_PACKET addon ${path}: ${(e as Error).message} (build it with: npm run build:native)`, { cause: e });
  }
  return addon;
}
