// The nftables half of the takeover: one `table netdev` whose ingress chains hide tsvs's own
// traffic (VIPs, LIPs, ARP/ND for them) from the Linux stack and let everything else through.

import { createHash } from 'node:crypto';
import { TsvsError } from '../errors.js';
import { type IpAddr, formatIp } from '../packet/inet.js';
import type { OwnedAddrs } from './driver.js';
import { NFT, runHostTool } from './host-tool.js';

/*
 * Why netdev ingress: AF_PACKET taps (ETH_P_ALL) see a received frame in __netif_receive_skb_core
 * BEFORE the netdev ingress hook runs, so a drop there takes the frame from the kernel's stack while
 * tsvs's socket already has its copy. The rules are the complement of what the engine hands the
 * kernel (Engine.input, toKernel): the engine consumes every packet to a VIP or LIP (service,
 * connection, echo, or a NO_SERVICE drop) and answers ARP/ND for all its addresses and ping for its
 * interface addresses (`tsip addr add`); everything else it passes up, and so does this chain.
 * (ARP replies and NAs for other addresses pass too: the engine only learns from them, but the
 * kernel needs the answers to its own requests.)
 *
 *   ip daddr @own4                     VIP/LIP traffic: the kernel would RST or forward it
 *   arp daddr ip @own4 / @local4       ARP requests, replies and gratuitous ARP naming a tsvs address:
 *                                      the kernel must neither answer them nor learn from them
 *   icmp echo-request to @local4       tsvs answers ping for its interface addresses
 *   ICMPv6 NS/NA whose target is ours  ND's ARP; the target sits 8 bytes into the ICMPv6 header
 *                                      (@th,64,128), which nft 1.0.6 cannot name, hence the raw set
 *
 * Each rule counts, so `nft list table netdev <name>` shows what tsvs hid from the kernel.
 */

/** What the table's name is made of: unique per daemon, stable across its restarts (see tableName). */
export const TABLE_PREFIX = 'tsvs_';

/**
 * The table's name for a daemon: derived from its control socket path, which no two live daemons
 * share, so a daemon restarted after a crash replaces its own stale table and no other's.
 */
export function tableName(identity: string): string {
  return `${TABLE_PREFIX}${createHash('sha256').update(identity).digest('hex').slice(0, 8)}`;
}

/** Interface names go inside double quotes in the ruleset; refuse what could break out of them. */
const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

function chainName(index: number, ifname: string): string {
  return `in_${index}_${ifname.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The whole table, created in one transaction that first deletes a stale one of the same name. */
export function tableScript(table: string, ifnames: readonly string[]): string {
  const chains = ifnames.map((ifname, i) => {
    if (!IFNAME.test(ifname)) throw new TsvsError('TSVS_ERR_TAKEOVER', `takeover: interface name '${ifname}' cannot be used in an nftables rule`);
    return `  chain ${chainName(i, ifname)} {
    type filter hook ingress device "${ifname}" priority -500; policy accept;
    ip daddr @own4 counter drop
    ip6 daddr @own6 counter drop
    arp daddr ip @own4 counter drop
    arp daddr ip @local4 counter drop
    ip daddr @local4 icmp type echo-request counter drop
    ip6 daddr @local6 icmpv6 type echo-request counter drop
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } @th,64,128 @nd6 counter drop
  }`;
  });
  // `table` then `delete table` makes the delete valid whether or not a stale table exists
  // (nft 1.0.6 has no `destroy`); the whole script is one atomic transaction.
  return `table netdev ${table}
delete table netdev ${table}
table netdev ${table} {
  set own4 { type ipv4_addr; }
  set own6 { type ipv6_addr; }
  set local4 { type ipv4_addr; }
  set local6 { type ipv6_addr; }
  set nd6 { typeof @th,64,128; }
${chains.join('\n')}
}
`;
}

const hex8 = (w: number): string => (w >>> 0).toString(16).padStart(8, '0');
/** An IPv6 address as the 128-bit integer the raw-payload set holds. */
const raw128 = (a: IpAddr): string => `0x${hex8(a.w0)}${hex8(a.w1)}${hex8(a.w2)}${hex8(a.w3)}`;

/** Flushes and refills every set in one transaction: the kernel never sees a half-updated list. */
export function setsScript(table: string, owned: OwnedAddrs): string {
  const own = [...owned.vips, ...owned.lips];
  const sets: [string, string[]][] = [
    ['own4', own.filter((a) => a.af === 4).map(formatIp)],
    ['own6', own.filter((a) => a.af === 6).map(formatIp)],
    ['local4', owned.local.filter((a) => a.af === 4).map(formatIp)],
    ['local6', owned.local.filter((a) => a.af === 6).map(formatIp)],
    ['nd6', [...own, ...owned.local].filter((a) => a.af === 6).map(raw128)],
  ];
  let out = '';
  for (const [name, elems] of sets) {
    out += `flush set netdev ${table} ${name}\n`;
    // An address may be both a VIP and a LIP: a set refuses duplicates within one add.
    const uniq = [...new Set(elems)];
    if (uniq.length > 0) out += `add element netdev ${table} ${name} { ${uniq.join(', ')} }\n`;
  }
  return out;
}

/** The installed table: follows the owned addresses, removed on close. */
export class NftTakeover {
  private installed = true;

  private constructor(readonly table: string) {}

  /** Creates the table with empty sets on the interfaces (replacing a stale one of the same name). */
  static install(table: string, ifnames: readonly string[]): NftTakeover {
    runHostTool(NFT, ['-f', '-'], `installing table netdev ${table}`, tableScript(table, ifnames));
    return new NftTakeover(table);
  }

  update(owned: OwnedAddrs): void {
    runHostTool(NFT, ['-f', '-'], `updating the owned addresses in table netdev ${this.table}`, setsScript(this.table, owned));
  }

  remove(): void {
    if (!this.installed) return;
    this.installed = false;
    try {
      runHostTool(NFT, ['delete', 'table', 'netdev', this.table], `removing table netdev ${this.table}`);
    } catch {
      // Already gone (deleted by hand, or its namespace with it): nothing left to give back.
    }
  }
}
