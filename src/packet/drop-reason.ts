// Every reason a frame can be dropped, as small integers indexing the per-worker drop counters.
// Lives in the lowest layer so packet, netif and ipvs can all count into one array.

export const Drop = {
  NONE: 0,
  // ---- malformed (packet layer) ----
  L2_TRUNCATED: 1,
  VLAN_TRUNCATED: 2,
  ARP_MALFORMED: 3,
  IP_TRUNCATED: 4,
  IP_BAD_VERSION: 5,
  IP_BAD_IHL: 6,
  IP_BAD_LENGTH: 7,
  IP_BAD_CSUM: 8,
  IP_BAD_OPTIONS: 9,
  IP6_BAD_EXTHDR: 10,
  L4_TRUNCATED: 11,
  TCP_BAD_DOFF: 12,
  TCP_BAD_OPTIONS: 13,
  UDP_BAD_LENGTH: 14,
  L4_BAD_CSUM: 15,
  ICMP_MALFORMED: 16,
  // ---- policy / state (netif) ----
  NOT_FOR_US: 17,
  TTL_EXCEEDED: 18,
  NO_ROUTE: 19,
  NEIGH_QUEUE_FULL: 20,
  NEIGH_UNRESOLVED: 21,
  FRAG_NEEDED: 22,
  FRAGMENT: 23,
  PORT_DOWN: 24,
  // ---- ipvs ----
  NO_DEST: 25,
  DEST_GONE: 26,
  QUIESCENT_EXPIRED: 27,
  NO_LADDR: 28,
  NO_LPORT: 29,
  CONN_TABLE_FULL: 30,
  NOT_SYN: 31,
  TOA_NO_ROOM: 32,
  TUNNEL_TOO_BIG: 33,
  ICMP_UNRELATED: 34,
  UNSUPPORTED: 35,
  TX_FAILED: 36,
  /** To a VIP or LIP, but no service or connection wants it (the kernel must not answer). */
  NO_SERVICE: 37,
} as const;

export type DropReason = (typeof Drop)[keyof typeof Drop];

export const DROP_REASON_COUNT = 38;

/** Names as they appear in the replay summary and, later, in metrics labels. */
export const DROP_REASON_NAMES: readonly string[] = (() => {
  const names: string[] = new Array<string>(DROP_REASON_COUNT).fill('');
  for (const [k, v] of Object.entries(Drop)) names[v] = k.toLowerCase();
  return names;
})();
