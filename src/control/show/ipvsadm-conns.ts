// `tsvsadm -Lnc` in DPVS's format (tools/ipvsadm print_conn_entry): one line per connection,
// no header, the worker in brackets, DPVS's state names, seconds left with an `s`.

import type { ConnRow } from '../../worker/query.js';
import type { Names } from './names.js';
import { left } from './printf.js';

/** `[%d]%-3s %-6s %-11s %-18s %-18s %-18s %s`: worker, proto, expires, state, c/v/l/d addresses. */
export async function listConns(rows: readonly { worker: number; conn: ConnRow }[], names: Names): Promise<string> {
  const lines = await Promise.all(rows.map(async ({ worker, conn: c }) => {
    const proto = c.proto === 'TCP' ? 'tcp' : 'udp';
    const [cn, vn, ln, dn] = await Promise.all([
      names.addrPort(c.caddr, c.cport, proto), names.addrPort(c.vaddr, c.vport, proto),
      names.addrPort(c.laddr, c.lport, proto), names.addrPort(c.daddr, c.dport, proto),
    ]);
    return `[${worker}]${left(proto, 3)} ${left(`${c.expires}s`, 6)} ${left(c.state, 11)} ${left(cn, 18)} ${left(vn, 18)} ${left(ln, 18)} ${dn}\n`;
  }));
  return lines.join('');
}
