// Offloads on taken-over interfaces: turned off with ethtool, one feature at a time, and the ones
// that were on are turned back on when tsvs gives the interface back.

import { ETHTOOL, runHostTool } from './host-tool.js';

/**
 * ethtool's short name (what -K takes) and long name (what -k prints). Why each goes off:
 * - gro, lro: the kernel merges received TCP segments into one super-frame before the AF_PACKET
 *   tap sees it; tsvs forwards frames, it does not resegment, and a 64 KB frame fits neither the
 *   ring slot nor the other side's MTU.
 * - tso, gso, tx (checksumming): tsvs's own frames do not need them (AF_PACKET sends finished
 *   frames) and its sockets ignore outgoing ones, but the kernel's management traffic on the same
 *   interface would leave as super-frames or with unfinished checksums; on a virtual interface
 *   (veth, tap) nothing finishes them, and the peer (a namespace, a VM, another tsvs) receives
 *   them so. Off, every frame on a taken-over interface is a finished, wire-sized one, whoever
 *   sent it, and a capture on it shows the wire. The cost: the kernel segments and checksums its
 *   management traffic in software.
 * Order matters on restore: tx-checksumming must be back before TSO can be (TSO depends on it),
 * so restoring walks this list backwards.
 */
export const OFFLOAD_FEATURES: readonly (readonly [string, string])[] = [
  ['gro', 'generic-receive-offload'],
  ['lro', 'large-receive-offload'],
  ['tso', 'tcp-segmentation-offload'],
  ['gso', 'generic-segmentation-offload'],
  ['tx', 'tx-checksumming'],
];

/** `ethtool -k` lines: `name: on|off [fixed]`, aggregate features included. */
export function parseFeatures(text: string): Map<string, { on: boolean; fixed: boolean }> {
  const out = new Map<string, { on: boolean; fixed: boolean }>();
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z0-9-]+): (on|off)( \[fixed\])?/.exec(line);
    if (m) out.set(m[1]!, { on: m[2] === 'on', fixed: m[3] !== undefined });
  }
  return out;
}

export interface OffloadsTaken {
  /** Turns back on what was turned off, in reverse order. */
  restore(): void;
}

/**
 * Turns each feature of OFFLOAD_FEATURES off where it is on and not fixed (each separately: one
 * refusal must not hide the others' state). A failure half-way restores what changed, then throws.
 */
export function offloadsOff(ifname: string): OffloadsTaken {
  const features = parseFeatures(runHostTool(ETHTOOL, ['-k', ifname], `reading the offloads of ${ifname}`));
  const turnedOff: string[] = [];
  const restore = (): void => {
    for (const short of turnedOff.reverse()) {
      try {
        runHostTool(ETHTOOL, ['-K', ifname, short, 'on'], `restoring ${short} on ${ifname}`);
      } catch {
        // The interface may be gone; the others are still restored.
      }
    }
    turnedOff.length = 0;
  };
  try {
    for (const [short, long] of OFFLOAD_FEATURES) {
      const f = features.get(long);
      if (!f || !f.on || f.fixed) continue;
      runHostTool(ETHTOOL, ['-K', ifname, short, 'off'], `turning ${short} off on ${ifname}`);
      turnedOff.push(short);
    }
  } catch (e) {
    restore();
    throw e;
  }
  return { restore };
}
