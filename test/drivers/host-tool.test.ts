// The takeover's tool runner: a missing tool names its Debian package, a failing one its stderr.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runHostTool } from '../../src/drivers/host-tool.js';
import { TsvsError } from '../../src/errors.js';

test('a tool missing from PATH and sbin names the package to install', () => {
  assert.throws(() => runHostTool({ cmd: 'tsvs-no-such-tool', pkg: 'tsvs-pkg' }, ['-f', '-'], 'installing table netdev tsvs_x'), (e: unknown) => {
    assert.ok(e instanceof TsvsError);
    assert.equal(e.code, 'TSVS_ERR_TAKEOVER');
    assert.equal(e.message, 'takeover: installing table netdev tsvs_x: tsvs-no-such-tool not found: install the tsvs-pkg package (apt-get install tsvs-pkg)');
    return true;
  });
});

test('a tool that fails reports the step, its command line, exit status and stderr', () => {
  // sh is everywhere; its stderr and exit code stand in for nft's.
  assert.throws(() => runHostTool({ cmd: 'sh', pkg: 'dash' }, ['-c', 'echo "Error: No such file or directory" >&2; exit 1'], 'updating the sets'), (e: unknown) => {
    assert.ok(e instanceof TsvsError);
    assert.equal(e.message, 'takeover: updating the sets: sh -c echo "Error: No such file or directory" >&2; exit 1 failed (exit 1): Error: No such file or directory');
    return true;
  });
  assert.equal(runHostTool({ cmd: 'sh', pkg: 'dash' }, ['-c', 'cat'], 'echo', 'stdin reaches it\n'), 'stdin reaches it\n');
});
