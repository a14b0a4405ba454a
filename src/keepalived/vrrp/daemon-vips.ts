// VrrpActions that put an instance's VIPs on its tsvs port through the daemon's control socket:
// `tsip addr add VIP/PLEN dev PORT` on MASTER, `tsip addr del` when it leaves MASTER (DPVS's
// keepalived does the same with dpip). For a runner with no other state to apply; the full
// `tsvs keepalived` process goes through desired.ts and batch.ts instead.

import { controlRequest } from '../../control/socket.js';
import { TsvsError } from '../../errors.js';
import { formatIp } from '../../packet/inet.js';
import type { VirtualIp } from '../model.js';
import type { VrrpActions } from './index.js';

export function daemonVipActions(socketPath: string): VrrpActions {
  let id = 0;
  const tsip = async (...argv: string[]): Promise<string> => {
    const res = await controlRequest(socketPath, { id: ++id, argv: ['tsip', ...argv] });
    if (!res.ok) throw new TsvsError('TSVS_ERR_CONFIG', `tsip ${argv.join(' ')}: ${res.error ?? 'failed'}`);
    return res.output ?? '';
  };
  const add = (v: VirtualIp, dev: string): Promise<unknown> =>
    // Idempotent: an address left from a previous run is fine.
    tsip('addr', 'add', `${formatIp(v.addr)}/${v.plen}`, 'dev', dev).catch((e: Error) => {
      if (!/exist/i.test(e.message)) throw e;
    });
  const del = (v: VirtualIp, dev: string): Promise<unknown> =>
    tsip('addr', 'del', `${formatIp(v.addr)}/${v.plen}`, 'dev', dev).catch((e: Error) => {
      if (!/no such|not found|does not exist/i.test(e.message)) throw e;
    });
  return {
    async stateChanged(vi, state, from) {
      const dev = vi.dpdkInterface;
      if (dev === undefined) return; // no tsvs port named: the VIPs are not tsvs's to place
      if (state === 'MASTER') {
        for (const v of vi.virtualIpaddress) await add(v, dev);
      } else if (from === 'MASTER') {
        for (const v of vi.virtualIpaddress) await del(v, dev);
      }
    },
    async vipsChanged(vi, added, removed, previous) {
      // A reload may also have moved the instance to another dpdk_interface: the removed VIPs
      // leave the port they were added to.
      if (previous.dpdkInterface !== undefined) for (const v of removed) await del(v, previous.dpdkInterface);
      if (vi.dpdkInterface !== undefined) for (const v of added) await add(v, vi.dpdkInterface);
    },
  };
}
