// What the pcap and pcapng readers share: the frame type they return, their error, and the one
// link type tsvs accepts (Ethernet: the load balancer works on whole L2 frames).

import { TsvsError } from '../errors.js';

export interface CaptureFrame {
  /**
   * Milliseconds since the epoch. Sub-millisecond time is the fraction; at today's epoch a double
   * holds it to about 0.25 µs, so nanosecond captures keep microsecond precision.
   */
  readonly tsMs: number;
  /** The captured bytes (a view into the file's bytes when read). */
  readonly data: Uint8Array;
}

export const LINKTYPE_ETHERNET = 1;

/** Names of link types people capture by accident (e.g. `tcpdump -i any`), for the error message. */
const LINKTYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'NULL/loopback', 101: 'RAW IP', 105: 'IEEE 802.11', 113: 'LINUX_SLL (tcpdump -i any)',
  127: '802.11 radiotap', 228: 'IPv4', 229: 'IPv6', 276: 'LINUX_SLL2 (tcpdump -i any)',
};

export function pcapError(message: string, offset: number): TsvsError {
  return new TsvsError('TSVS_ERR_PCAP', `capture file: ${message} (at byte offset ${offset})`);
}

export function checkLinkType(linkType: number, offset: number): void {
  if (linkType === LINKTYPE_ETHERNET) return;
  const name = LINKTYPE_NAMES[linkType];
  throw pcapError(
    `link type ${linkType}${name ? ` (${name})` : ''} is not Ethernet (1); tsvs replays Ethernet frames only: ` +
      'capture on one Ethernet interface', offset);
}
