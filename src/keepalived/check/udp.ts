// UDP_CHECK: send the payload on a connected UDP socket. An ICMP port unreachable (ECONNREFUSED on
// the connected socket) means down; silence until connect_timeout means up unless require_reply.

import { type Probe, down, up } from './probe.js';
import { udpExchange } from './udp-exchange.js';

export interface UdpSettings {
  readonly payload?: Uint8Array;
  /** Expected reply (mask bytes 0 = wildcard); empty data = any reply will do. */
  readonly requireReply?: { readonly data: Uint8Array; readonly mask: Uint8Array };
  readonly minReplyLength: number;
  readonly maxReplyLength: number;
}

/** keepalived's check_udp_reply: length within bounds, and the common prefix matching under the mask. */
export function replyMatches(reply: Uint8Array, s: UdpSettings): boolean {
  if (reply.length < s.minReplyLength || reply.length > s.maxReplyLength) return false;
  const want = s.requireReply!;
  const n = Math.min(reply.length, want.data.length);
  for (let i = 0; i < n; i++) if ((reply[i]! ^ want.data[i]!) & want.mask[i]!) return false;
  return true;
}

export function udpProbe(s: UdpSettings): Probe {
  return (t, signal) => udpExchange(t, signal, {
    payload: s.payload ?? new Uint8Array(0),
    onSilence: () => (s.requireReply ? down('no reply') : up('no ICMP error')),
    onMessage: (msg) => (!s.requireReply ? up('reply') : replyMatches(msg, s) ? up('reply matches') : down('reply mismatch')),
  });
}
