// Taking a Linux interface over for tsvs: the kernel keeps seeing every frame (AF_PACKET copies,
// never steals), so it must neither answer nor forward what belongs to tsvs. Restored on close.

import { readFileSync, writeFileSync } from 'node:fs';
import { TsvsError } from '../errors.js';
import type { OwnedAddrs } from './driver.js';
import { NftTakeover } from './nft-takeover.js';
import { type OffloadsTaken, offloadsOff } from './offloads.js';

/*
 * Three layers, so the interface can keep a kernel management address (ARP, ping, SSH answered by
 * Linux, as DPVS's KNI interface does) while tsvs alone answers for its VIPs and LIPs:
 * 1. nftables (nft-takeover.ts) hides tsvs's own traffic from the kernel: packets to VIPs/LIPs,
 *    ARP/ND naming tsvs's addresses, ping to tsvs's interface addresses.
 * 2. sysctls (below) keep the kernel a host, not a router, on the interface, for what still
 *    reaches it.
 * 3. offloads off (offloads.ts): finished frames on the wire, none merged before the tap.
 */

/**
 * Per-interface sysctls and why:
 * - ipv4 forwarding 0: transit traffic is tsvs's to forward (or not); the kernel drops what is not
 *   for its own addresses silently (ip_error() sends no ICMP when the input device does not forward).
 * - arp_ignore 1: answer ARP only for addresses configured on this interface (the management
 *   address), not for the host's other addresses (Linux's weak-host default 0 would).
 * - arp_announce 2: the kernel's own ARP requests on this interface use an address of this
 *   interface as the sender, never one from elsewhere that neighbours would then map to this MAC.
 * rp_filter is left alone: forwarding 0 already silences transit, and strict reverse-path checks
 * would cut management access from sources routed through another interface.
 */
const IPV4_SETTINGS: readonly (readonly [string, string])[] = [
  ['net/ipv4/conf/%/forwarding', '0'],
  ['net/ipv4/conf/%/arp_ignore', '1'],
  ['net/ipv4/conf/%/arp_announce', '2'],
];

/**
 * IPv6 stays on by default (the nft rules cover tsvs's IPv6 addresses and their ND, and a v6
 * management address works). But Linux has no per-interface switch that stops IPv6 forwarding
 * (`conf/IF/forwarding` only picks host or router behaviour; the forwarding decision reads
 * `conf/all/forwarding`), so on a host that forwards IPv6 the kernel would forward transit
 * traffic tsvs forwards too: there IPv6 is disabled on the taken-over interface, as before.
 */
const IPV6_ALL_FORWARDING = '/proc/sys/net/ipv6/conf/all/forwarding';
const IPV6_OFF: readonly [string, string] = ['net/ipv6/conf/%/disable_ipv6', '1'];

export interface Takeover {
  /** The nftables table (`table netdev NAME`). */
  readonly table: string;
  /** Refills the table's address sets (one atomic nft transaction). */
  addressesChanged(owned: OwnedAddrs): void;
  /** Removes the table, puts every changed sysctl and offload back as it was. */
  restore(): void;
}

function readSysctl(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The settings for these interfaces on this host (IPv6 off only where the host forwards IPv6). */
export function takeoverSysctls(ifnames: readonly string[]): [string, string][] {
  const v6Off = readSysctl(IPV6_ALL_FORWARDING) === '1';
  const settings = v6Off ? [...IPV4_SETTINGS, IPV6_OFF] : IPV4_SETTINGS;
  return ifnames.flatMap((ifname) => settings.map(([p, v]): [string, string] => [`/proc/sys/${p.replace('%', ifname)}`, v]));
}

/**
 * Takes the interfaces over: the nft table first (the likeliest to fail: nftables missing, and it
 * changes nothing then), offloads, sysctls. Any failure undoes what was done, then throws.
 * `table` names the nft table: unique per daemon, the same across its restarts.
 */
export function takeOver(ifnames: readonly string[], table: string): Takeover {
  const undo: (() => void)[] = [];
  const restore = (): void => {
    // Reverse order: the last change is undone first, as a stack.
    for (const u of undo.reverse()) u();
    undo.length = 0;
  };
  let nft: NftTakeover;
  try {
    nft = NftTakeover.install(table, ifnames);
    undo.push(() => nft.remove());
    for (const ifname of ifnames) {
      const taken: OffloadsTaken = offloadsOff(ifname);
      undo.push(() => taken.restore());
    }
    for (const [path, value] of takeoverSysctls(ifnames)) {
      const old = readSysctl(path);
      // A sysctl the kernel lacks (no IPv6) is skipped.
      if (old === null || old === value) continue;
      try {
        writeFileSync(path, value);
      } catch (e) {
        throw new TsvsError('TSVS_ERR_TAKEOVER', `takeover: cannot set ${path} to ${value}: ${(e as Error).message}`, { cause: e });
      }
      undo.push(() => {
        try {
          writeFileSync(path, old);
        } catch {
          // The interface may be gone (veth deleted under us): nothing left to restore.
        }
      });
    }
  } catch (e) {
    restore();
    throw e;
  }
  return { table, addressesChanged: (owned) => nft.update(owned), restore };
}
