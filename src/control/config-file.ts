// The daemon's config file (tsvs.conf), in the brace syntax of dpvs.conf and keepalived.conf that
// DPVS operators already edit: `key value...` statements, `name { ... }` blocks, ! or # comments.

import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { TsvsError } from '../errors.js';
import { type BraceNode, BraceSyntaxError, parseBraces, sourceLines } from './brace-syntax.js';
import { type MacAddr, parseIp, parseMac } from '../packet/inet.js';
import { LOG_LEVELS, type LogLevel } from './log.js';

type Node = BraceNode;

export interface RingSettings {
  /** TPACKET version for AF_PACKET (2: latency, 3: throughput). */
  readonly ringVersion: 2 | 3;
  /** Frames (slots) per ring, RX and TX alike (a power of two). */
  readonly frames: number;
  /** Largest frame a slot holds. */
  readonly frameSize: number;
  /** TPACKET_V3 block size and retire timeout (V2 rings are laid out in blocks of this size too). */
  readonly blockSize: number;
  readonly retireMs: number;
}

export interface PortSettings {
  /** The tsvs port name, as scripts use it (`dev dpdk0`). */
  readonly name: string;
  /** The Linux interface it drives (afpacket); informational for the memory driver. */
  readonly iface: string;
  /** MAC of the port; the afpacket driver defaults it to the interface's own. */
  readonly mac?: MacAddr;
  /** Unset: the interface's own MTU (afpacket) or 1500 (memory). */
  readonly mtu?: number;
}

/** The HTTP API and /metrics (global_defs api_listen, api_token_file). */
export interface ApiSettings {
  readonly host: string;
  /** 0: any free port (tests). */
  readonly port: number;
  /** Absolute path of a file holding the bearer token; without it the API takes no token. */
  readonly tokenFile?: string;
}

export interface DaemonConfig {
  readonly workers: number;
  readonly driver: string;
  readonly socket: string;
  readonly connCapacity: number;
  /**
   * global_defs service_addr_arp on|off (default on): answer ARP/ND for a service's address
   * without `tsip addr add`. Off for a VRRP pair, where the VIP is added on the master only.
   */
  readonly serviceAddrArp?: boolean;
  /**
   * global_defs fnat_seq_secret HEX: the FullNAT ISN secret (default: random per start). Nodes of
   * a VRRP pair that share LIPs set the same one, so a SYN on a LIP:port the other node left in
   * TIME_WAIT on a real server carries a later ISN and opens a new connection there.
   */
  readonly fnatSeqSecret?: number;
  readonly ring: RingSettings;
  readonly ports: readonly PortSettings[];
  /** Absolute path of the startup script (tsip/tsvsadm lines), if any. */
  readonly startupScript?: string;
  /** Absent: no HTTP server. */
  readonly api?: ApiSettings;
  /** Log lines below this level are not written (default info). */
  readonly logLevel?: LogLevel;
}

export const DEFAULT_SOCKET = '/run/tsvs/tsvs.sock';
const DEFAULT_RING: RingSettings = { ringVersion: 2, frames: 1024, frameSize: 2048, blockSize: 1 << 16, retireMs: 1 };

function fail(line: number, msg: string): never {
  throw new TsvsError('TSVS_ERR_CONFIG', `line ${line}: ${msg}`);
}

/** Splits the text into statements and blocks. */
function tokenize(text: string): Node[] {
  try {
    return parseBraces(sourceLines(text, ''));
  } catch (e) {
    if (e instanceof BraceSyntaxError) fail(e.line, e.detail);
    throw e;
  }
}

function uint(n: Node, min: number, max: number): number {
  const v = n.words[1];
  if (n.words.length !== 2 || v === undefined || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    fail(n.line, `${n.words[0]} takes one number from ${min} to ${max}`);
  }
  return Number(v);
}

function str(n: Node): string {
  if (n.words.length !== 2) fail(n.line, `${n.words[0]} takes one value`);
  return n.words[1]!;
}

function block(n: Node): readonly Node[] {
  if (!n.block || n.words.length !== 1) fail(n.line, `${n.words[0]} is a block: ${n.words[0]} { ... }`);
  return n.block;
}

function unknown(n: Node, where: string, known: string): never {
  return fail(n.line, `unknown ${where} setting '${n.words[0]}' (known: ${known})`);
}

/** Parses tsvs.conf; `file` resolves relative paths (the startup script) against its directory. */
export function parseDaemonConfig(text: string, file = 'tsvs.conf'): DaemonConfig {
  let workers = availableParallelism();
  let driver = 'memory';
  let socket = DEFAULT_SOCKET;
  let connCapacity = 1 << 18;
  let startupScript: string | undefined;
  let ring = DEFAULT_RING;
  // On by default, on loopback only: an operator finds the API and /metrics without asking for them.
  let apiListen: { host: string; port: number } | undefined = DEFAULT_API;
  let apiTokenFile: string | undefined;
  let apiTokenLine = 0;
  let logLevel: LogLevel | undefined;
  let serviceAddrArp: boolean | undefined;
  let fnatSeqSecret: number | undefined;
  const ports: PortSettings[] = [];
  for (const top of tokenize(text)) {
    switch (top.words[0]) {
      case 'global_defs':
        for (const n of block(top)) {
          switch (n.words[0]) {
            case 'workers': workers = uint(n, 1, 256); break;
            case 'driver': driver = str(n); break;
            case 'control_socket': socket = resolve(dirname(file), str(n)); break;
            case 'conn_pool_size': connCapacity = uint(n, 1024, 1 << 26); break;
            case 'startup_script': startupScript = resolve(dirname(file), str(n)); break;
            case 'api_listen': apiListen = str(n) === 'off' ? undefined : parseListen(n); break;
            case 'api_token_file': apiTokenFile = resolve(dirname(file), str(n)); apiTokenLine = n.line; break;
            case 'service_addr_arp': {
              const v = str(n);
              if (v !== 'on' && v !== 'off') fail(n.line, 'service_addr_arp must be on or off');
              serviceAddrArp = v === 'on';
              break;
            }
            case 'fnat_seq_secret': {
              const v = str(n);
              if (!/^(0x)?[0-9a-fA-F]{1,8}$/.test(v)) fail(n.line, `fnat_seq_secret must be 1 to 8 hex digits, not '${v}'`);
              fnatSeqSecret = parseInt(v.replace(/^0x/, ''), 16) | 0;
              break;
            }
            case 'log_level': {
              const v = str(n);
              if (!(LOG_LEVELS as readonly string[]).includes(v)) fail(n.line, `log_level must be one of ${LOG_LEVELS.join(', ')}`);
              logLevel = v as LogLevel;
              break;
            }
            default: unknown(n, 'global_defs', 'workers, driver, control_socket, conn_pool_size, startup_script, api_listen, api_token_file, log_level, service_addr_arp, fnat_seq_secret');
          }
        }
        break;
      case 'netif_defs':
        for (const n of block(top)) {
          if (n.words[0] === 'ring') ring = parseRing(n, ring);
          else if (n.words[0] === 'device') ports.push(parseDevice(n, ports));
          else unknown(n, 'netif_defs', 'ring, device NAME');
        }
        break;
      default:
        unknown(top, 'top-level', 'global_defs, netif_defs');
    }
  }
  if (apiTokenFile !== undefined && apiListen === undefined) {
    fail(apiTokenLine, 'api_token_file is set but api_listen is off: give api_listen [ADDR:]PORT in global_defs to serve the API');
  }
  return {
    workers, driver, socket, connCapacity, ring, ports, ...(startupScript === undefined ? {} : { startupScript }),
    ...(apiListen === undefined ? {} : { api: { ...apiListen, ...(apiTokenFile === undefined ? {} : { tokenFile: apiTokenFile }) } }),
    ...(logLevel === undefined ? {} : { logLevel }),
    ...(serviceAddrArp === undefined ? {} : { serviceAddrArp }),
    ...(fnatSeqSecret === undefined ? {} : { fnatSeqSecret }),
  };
}

/** Where the API listens unless tsvs.conf says otherwise (`api_listen off` turns it off). */
export const DEFAULT_API = { host: '127.0.0.1', port: 9780 } as const;

/** `api_listen PORT` (127.0.0.1), `ADDR:PORT` or `[V6]:PORT`. */
function parseListen(n: Node): { host: string; port: number } {
  const v = str(n);
  const m = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d{1,5})$/.exec(v);
  const host = m?.[1] ?? m?.[2] ?? '127.0.0.1';
  if (!m || Number(m[3]) > 65535 || !parseIp(host)) {
    fail(n.line, `api_listen takes [ADDR:]PORT with an IP address (e.g. 127.0.0.1:9780, [::1]:9780 or 9780), or off, got '${v}'`);
  }
  return { host, port: Number(m[3]) };
}

function parseRing(n: Node, base: RingSettings): RingSettings {
  let r = { ...base };
  for (const s of block(n)) {
    switch (s.words[0]) {
      case 'ring_version': {
        const v = uint(s, 2, 3);
        r = { ...r, ringVersion: v === 2 ? 2 : 3 };
        break;
      }
      case 'frames': {
        const v = uint(s, 2, 1 << 20);
        if ((v & (v - 1)) !== 0) fail(s.line, 'frames must be a power of two');
        r = { ...r, frames: v };
        break;
      }
      case 'frame_size': r = { ...r, frameSize: uint(s, 128, 65536) }; break;
      case 'block_size': r = { ...r, blockSize: uint(s, 4096, 1 << 24) }; break;
      case 'retire_ms': r = { ...r, retireMs: uint(s, 0, 1000) }; break;
      default: unknown(s, 'ring', 'ring_version, frames, frame_size, block_size, retire_ms');
    }
  }
  return r;
}

function parseDevice(n: Node, seen: readonly PortSettings[]): PortSettings {
  const name = n.words[1];
  if (n.words.length !== 2 || name === undefined || !n.block) fail(n.line, 'device NAME { interface IFNAME ... }');
  if (seen.some((p) => p.name === name)) fail(n.line, `device ${name} declared twice`);
  let iface: string | undefined;
  let mac: MacAddr | undefined;
  let mtu: number | undefined;
  for (const s of n.block) {
    switch (s.words[0]) {
      case 'interface': iface = str(s); break;
      case 'lladdr': {
        const m = parseMac(str(s));
        if (!m) fail(s.line, `bad MAC address '${s.words[1]}'`);
        mac = m;
        break;
      }
      case 'mtu': mtu = uint(s, 68, 65535); break;
      default: unknown(s, `device ${name}`, 'interface, lladdr, mtu');
    }
  }
  if (iface === undefined) fail(n.line, `device ${name} needs 'interface IFNAME' (the Linux interface it drives)`);
  return { name, iface, ...(mtu === undefined ? {} : { mtu }), ...(mac === undefined ? {} : { mac }) };
}
