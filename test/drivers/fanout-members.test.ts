// The members table follows the kernel's fanout numbering (join appends; a leaver's slot gets the
// last member), workers read it whole; the ARP/ND socket filters split frames between the sockets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FanoutMembers, FanoutMembersView } from '../../src/drivers/fanout-members.js';
import { neighbourFilter } from '../../src/drivers/neighbour-filter.js';
import { eth } from '../support/builder.js';
import { runCbpf } from '../support/cbpf-run.js';

test('joins append; a leaver\'s slot goes to the last member (__fanout_unlink); workers see each change once', () => {
  const m = new FanoutMembers(4);
  const view = new FanoutMembersView(m.buffer);
  assert.equal(view.changed(), true, 'a fresh view reads once');
  assert.deepEqual(view.read(), []);
  assert.equal(view.changed(), false);
  for (const w of [0, 1, 2, 3]) m.joined(w);
  assert.equal(view.changed(), true);
  assert.deepEqual(view.read(), [0, 1, 2, 3]);
  m.left(1);
  assert.deepEqual(view.read(), [0, 3, 2], 'worker 3 moved into slot 1');
  m.joined(1);
  assert.deepEqual(view.read(), [0, 3, 2, 1], 'the restarted worker joins last');
  m.left(1);
  assert.deepEqual(view.read(), [0, 3, 2], 'the last member leaving moves nobody');
  m.left(0);
  m.left(9);
  assert.deepEqual(view.read(), [2, 3]);
  assert.equal(view.changed(), false);
  assert.deepEqual(m.members, [2, 3]);
});

test('socket filters: ARP and ND (RS, RA, NS, NA, redirect) only to the neighbour socket, everything else only to the fanout one', () => {
  const mac = '02:00:00:00:00:01', bc = 'ff:ff:ff:ff:ff:ff';
  const neigh = neighbourFilter(true), rest = neighbourFilter(false);
  const arp = eth({ src: mac, dst: bc }).arp({ op: 'request', sha: mac, spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.2' }).build();
  const nd = (type: number) => {
    const f = eth({ src: mac, dst: bc }).ipv6({ src: 'fe80::1', dst: 'ff02::1' }).icmpv6({ type: 'echo-request', id: 1, seq: 1 }).build();
    f[54] = type; // the ICMPv6 type byte: the filters read nothing else of the message
    return f;
  };
  const others = [
    eth({ src: mac, dst: bc }).ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).tcp({ sport: 1, dport: 80 }).build(),
    eth({ src: mac, dst: bc }).ipv6({ src: 'fe80::1', dst: 'fe80::2' }).udp({ sport: 1, dport: 53 }).build(),
    nd(128), nd(132), nd(138), nd(1),
  ];
  for (const f of [arp, nd(133), nd(134), nd(135), nd(136), nd(137)]) {
    assert.equal(runCbpf(neigh, f), 0xffffffff);
    assert.equal(runCbpf(rest, f), 0);
  }
  for (const f of others) {
    assert.equal(runCbpf(neigh, f), 0);
    assert.equal(runCbpf(rest, f), 0xffffffff);
  }
});
