// DNS_CHECK: one query (type, name; RD set) over UDP; up when a reply with our ID says QR and
// RCODE 0, as keepalived's check_dns. The packet is built here: the header and one question are
// 20 lines, not worth a dependency.

import { randomInt } from 'node:crypto';
import type { DnsType } from '../model.js';
import { type Probe, down, up } from './probe.js';
import { udpExchange } from './udp-exchange.js';

const QTYPE: Readonly<Record<DnsType, number>> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };

/** The query: 12-byte header (ID, flags RD, QDCOUNT 1), QNAME as labels, QTYPE, QCLASS IN. */
export function dnsQuery(id: number, type: DnsType, name: string): Buffer {
  const labels = name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l, 'latin1')])), Buffer.of(0)]);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x0100, 2);
  head.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(QTYPE[type], 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([head, qname, tail]);
}

export function dnsProbe(type: DnsType, name: string): Probe {
  return (t, signal) => {
    const id = randomInt(0x10000);
    return udpExchange(t, signal, {
      payload: dnsQuery(id, type, name),
      onSilence: () => down('timeout'),
      onMessage: (msg) => {
        // Too short or another ID: keep waiting, as keepalived does.
        if (msg.length < 12 || msg.readUInt16BE(0) !== id) return undefined;
        const flags = msg.readUInt16BE(2);
        if (!(flags & 0x8000)) return down('reply without QR');
        return flags & 0xf ? down(`rcode ${flags & 0xf}`) : up('rcode 0');
      },
    });
  };
}
