// Socket filters that split ARP and IPv6 neighbour discovery from the rest: with several workers
// every worker needs each ARP/ND frame (its own neighbour table), while the fanout gives a frame to one.

import { Cbpf } from './cbpf.js';

const ETH_P_ARP = 0x0806;
const ETH_P_IPV6 = 0x86dd;
const IPPROTO_ICMPV6 = 58;
/** ICMPv6 router solicitation .. redirect (RFC 4861): 133 RS, 134 RA, 135 NS, 136 NA, 137 redirect. */
const ND_FIRST = 133;
const ND_LAST = 137;
/** "Keep the whole frame": a socket filter returns how many bytes to keep. */
const WHOLE = 0xffffffff;

/**
 * A socket filter (Ethernet-header offsets). `neighbours` true keeps only ARP and ND (the per-worker
 * socket outside the fanout group); false keeps everything else (the fanout socket). ND is read as
 * ICMPv6 right after the fixed header: RFC 4861 messages carry no extension headers.
 */
export function neighbourFilter(neighbours: boolean): Uint8Array {
  const [yes, no] = neighbours ? [WHOLE, 0] : [0, WHOLE];
  return new Cbpf()
    .ldh(12).jeq(ETH_P_ARP, 'nd').jeq(ETH_P_IPV6, null, 'other')
    .ldb(20).jeq(IPPROTO_ICMPV6, null, 'other')
    .ldb(54).jge(ND_FIRST, null, 'other').jgt(ND_LAST, 'other', 'nd')
    .label('nd').ret(yes)
    .label('other').ret(no)
    .assemble();
}
