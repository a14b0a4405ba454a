// keepalived's log texts for health events, from parsed configs: real and virtual servers as
// format_rs/format_vs print them, the pool verbs with and without inhibit_on_failure, quorum.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthEventMessages } from '../../src/keepalived/messages.js';
import { parseKeepalivedText } from '../../src/keepalived/parser.js';

const { config } = parseKeepalivedText(`
virtual_server 10.0.0.100 80 {
    quorum 3
    hysteresis 1
    real_server 192.168.100.2 80 {
        weight 2
        HTTP_GET {
            url {
                path /
            }
        }
    }
    real_server 192.168.100.3 {
        inhibit_on_failure
        TCP_CHECK {
            retry 0
        }
    }
}
`);
const retryOf = (): number => 3;

test('HTTP_GET status failure, then success: keepalived\'s lines, then the pool change', () => {
  const rs = '10.0.0.100 80 -> 192.168.100.2 80';
  assert.deepEqual(healthEventMessages(config!, { type: 'rs-down', vs: '10.0.0.100 80', rs, checker: 'HTTP_GET#1', reason: 'url /: status 503' }, retryOf), [
    'HTTP status code error to server [192.168.100.2]:tcp:80.',
    'HTTP_CHECK on service [192.168.100.2]:tcp:80 failed after 3 retries.',
    'Removing service [192.168.100.2]:tcp:80 from VS [10.0.0.100]:tcp:80',
  ]);
  assert.deepEqual(healthEventMessages(config!, { type: 'rs-up', vs: '10.0.0.100 80', rs, checker: 'HTTP_GET#1', reason: 'ok' }, retryOf), [
    'Remote Web server [192.168.100.2]:tcp:80 succeed on service.',
    'Adding service [192.168.100.2]:tcp:80 to VS [10.0.0.100]:tcp:80',
  ]);
});

test('TCP_CHECK timeout with retry 0 and inhibit_on_failure; a real server without a port takes the VS\'s', () => {
  const e = { type: 'rs-down', vs: '10.0.0.100 80', rs: '10.0.0.100 80 -> 192.168.100.3', checker: 'TCP_CHECK#1', reason: 'timeout' } as const;
  assert.deepEqual(healthEventMessages(config!, e, () => 0), [
    'TCP connection to [192.168.100.3]:tcp:80 timeout.',
    'TCP_CHECK on service [192.168.100.3]:tcp:80 failed.',
    'Disabling service [192.168.100.3]:tcp:80 of VS [10.0.0.100]:tcp:80',
  ]);
});

test('quorum with hysteresis: update_quorum_state\'s texts', () => {
  assert.deepEqual(healthEventMessages(config!, { type: 'quorum-down', vs: '10.0.0.100 80', weight: 1 }, retryOf), ['Lost quorum 3-1=2 > 1 for VS [10.0.0.100]:tcp:80']);
  assert.deepEqual(healthEventMessages(config!, { type: 'quorum-up', vs: '10.0.0.100 80', weight: 4 }, retryOf), ['Gained quorum 3+1=4 <= 4 for VS [10.0.0.100]:tcp:80']);
});
