// The owned-address snapshot the drivers get after a configuration change: VIPs once each, LIPs,
// and interface addresses that are neither, in a stable order so equal configs compare equal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCommand } from '../../src/control/apply.js';
import { parseScript } from '../../src/control/script.js';
import { sameOwnedAddrs } from '../../src/drivers/driver.js';
import { formatIp } from '../../src/packet/inet.js';
import { ManualClock, MemorySink } from '../../src/drivers/memory.js';
import { Engine } from '../../src/worker/engine.js';
import { ownedAddrs } from '../../src/worker/owned.js';

function engineWith(script: string): Engine {
  const e = new Engine(new MemorySink(), new ManualClock(), { connCapacity: 64 });
  for (const s of parseScript(script)) applyCommand(e, s.command);
  return e;
}

const S1 = `tsip link add dpdk0 lladdr 02:00:00:00:00:01 mtu 1500
tsip link add dpdk1 lladdr 02:00:00:00:00:02 mtu 1500
tsip addr add 10.0.0.100/32 dev dpdk1
tsip addr add 192.168.100.1/24 dev dpdk0
tsip addr add 2001:db8::1/64 dev dpdk0
tsvsadm -A -t 10.0.0.100:80 -s rr
tsvsadm -A -u 10.0.0.100:53 -s rr
tsvsadm -A -t [2001:db8:1::100]:80 -s rr
tsvsadm -a -t 10.0.0.100:80 -r 192.168.100.2 -b
tsvsadm -P -t 10.0.0.100:80 -z 192.168.100.201 -F dpdk0
tsvsadm -P -t 10.0.0.100:80 -z 192.168.100.200 -F dpdk0
`;

test('VIPs once each, LIPs sorted, interface addresses that are neither', () => {
  const o = ownedAddrs(engineWith(S1));
  assert.deepEqual(o.vips.map(formatIp), ['10.0.0.100', '2001:db8:1::100']);
  assert.deepEqual(o.lips.map(formatIp), ['192.168.100.200', '192.168.100.201']);
  assert.deepEqual(o.local.map(formatIp), ['192.168.100.1', '2001:db8::1']);
});

test('the same configuration in another order compares equal; a removed LIP does not', () => {
  const a = ownedAddrs(engineWith(S1));
  const lines = S1.trim().split('\n');
  const swapped = [...lines.slice(0, 9), lines[10]!, lines[9]!].join('\n');
  assert.equal(sameOwnedAddrs(a, ownedAddrs(engineWith(swapped))), true);
  const fewer = ownedAddrs(engineWith(`${S1}tsvsadm -Q -t 10.0.0.100:80 -z 192.168.100.201 -F dpdk0\n`));
  assert.equal(sameOwnedAddrs(a, fewer), false);
  assert.deepEqual(fewer.lips.map(formatIp), ['192.168.100.200']);
});
