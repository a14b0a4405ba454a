// toScapy() is only for humans, but it should not lie: scapy must build the very same bytes.
// Runs every sample's scapy expression through scapy in one python process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { haveTool } from './external.js';
import { SAMPLES } from './samples.js';

const PROGRAM = `
import sys, json
from scapy.all import *
for e in json.load(sys.stdin):
    try:
        print(bytes(eval(e)).hex())
    except Exception as ex:
        print('error: ' + repr(ex).replace('\\n', ' '))
`;

/** The first python that has scapy: a pyenv shim may shadow Debian's python3-scapy. */
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import scapy'], { stdio: 'ignore' }).status === 0);

test('scapy builds exactly the bytes of every sample from its toScapy() expression', (t) => {
  if (!haveTool(t, python !== undefined, 'scapy', 'apt-get install -y python3-scapy')) return;
  const exprs = SAMPLES.map((s) => s.frame.toScapy());
  const r = spawnSync(python!, ['-c', PROGRAM], { input: JSON.stringify(exprs), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  SAMPLES.forEach((s, i) => assert.equal(lines[i], s.frame.hex(), `${s.name}\n  ${exprs[i]}`));
});
