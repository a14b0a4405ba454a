// Taking a Linux interface over for tsvs: the kernel keeps seeing every frame (AF_PACKET copies,
// never steals), so it must neither answer nor forward what belongs to tsvs. Restored on close.

import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Per-interface sysctls and the value that makes the kernel a silent bystander. The VIPs and LIPs
 * are never configured on the interface, so the kernel sees their traffic as not-for-us: with
 * forwarding off it drops it without an ICMP error (ip_error() stays quiet when the input device
 * does not forward). Strict rp_filter drops it earlier still: the kernel has no routes through a
 * taken-over interface. arp_ignore 8 stops it answering ARP for anything it might own; IPv6 off
 * stops its own ND/MLD/RS chatter and drops IPv6 it would otherwise process.
 */
const SETTINGS: readonly (readonly [string, string])[] = [
  ['net/ipv4/conf/%/forwarding', '0'],
  ['net/ipv4/conf/%/arp_ignore', '8'],
  ['net/ipv4/conf/%/rp_filter', '1'],
  ['net/ipv6/conf/%/forwarding', '0'],
  ['net/ipv6/conf/%/disable_ipv6', '1'],
];

export interface Takeover {
  /** Puts every changed sysctl back as it was. */
  restore(): void;
}

/** Applies SETTINGS to each interface; a sysctl the kernel lacks (no IPv6) is skipped. */
export function takeOver(ifnames: readonly string[]): Takeover {
  const saved: [string, string][] = [];
  for (const ifname of ifnames) {
    for (const [pattern, value] of SETTINGS) {
      const path = `/proc/sys/${pattern.replace('%', ifname)}`;
      let old: string;
      try {
        old = readFileSync(path, 'utf8').trim();
      } catch {
        continue;
      }
      if (old === value) continue;
      writeFileSync(path, value);
      saved.push([path, old]);
    }
  }
  return {
    restore(): void {
      // Reverse order: the last change is undone first, as a stack.
      for (const [path, old] of saved.reverse()) {
        try {
          writeFileSync(path, old);
        } catch {
          // The interface may be gone (veth deleted under us): nothing left to restore.
        }
      }
      saved.length = 0;
    },
  };
}
