// Which Linux interface drives each tsvs port, for VRRP: DPVS's `interface dpdk0.kni` (the kernel
// twin of port dpdk0) and `dpdk_interface dpdk0` both name the interface tsvs.conf gives dpdk0.
//
// The daemon's netif_defs is the source (`--tsvs-conf FILE`); `--kni-map PORT=IFNAME` adds or
// overrides entries. The daemon's API and `tsip link show` name ports, not Linux interfaces.

import { readFileSync } from 'node:fs';
import { type DaemonConfig, parseDaemonConfig } from '../control/config-file.js';
import { TsvsError } from '../errors.js';

/** Reads tsvs.conf (its errors as the daemon reports them); undefined without a file. */
export function readDaemonConfig(file: string | undefined): DaemonConfig | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TsvsError('TSVS_ERR_CONFIG', `--tsvs-conf ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseDaemonConfig(text, file);
}

/** netif_defs' port -> interface, then each `PORT=IFNAME` of --kni-map over it. */
export function portMap(daemon: DaemonConfig | undefined, kniMap: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const p of daemon?.ports ?? []) map[p.name] = p.iface;
  for (const entry of kniMap) {
    const m = /^([^=\s]+)=([^=\s]{1,15})$/.exec(entry);
    if (!m) throw new TsvsError('TSVS_ERR_INVALID_ARG', `--kni-map ${entry}: expected PORT=IFNAME, e.g. dpdk0=eth1`);
    map[m[1]!.replace(/\.kni$/, '')] = m[2]!;
  }
  return map;
}
