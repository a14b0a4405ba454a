// Our VRRP side of the interop tests: `ip netns exec NS node vrrp-peer.js keepalived.conf SOCKET
// PORTS_JSON` runs startVrrp() on the file's vrrp_instances, VIPs through the tsvs daemon at SOCKET
// (or nowhere with '-'). Logs as tsvs does (JSON lines on stderr); SIGTERM stops it cleanly
// (priority 0), SIGKILL is the crash. Not a test file itself.

import { stderrLogger } from '../../src/control/log.js';
import { parseKeepalivedFile } from '../../src/keepalived/parser.js';
import { daemonVipActions } from '../../src/keepalived/vrrp/daemon-vips.js';
import { startVrrp } from '../../src/keepalived/vrrp/index.js';

const [file, socket, portsJson] = process.argv.slice(2) as [string, string, string];
const parsed = parseKeepalivedFile(file);
if (!parsed.config) {
  process.stderr.write(JSON.stringify({ event: 'config_error', diagnostics: parsed.diagnostics }) + '\n');
  process.exit(4);
}
const actions = socket === '-' ? { stateChanged: () => undefined } : daemonVipActions(socket);
const vrrp = startVrrp(parsed.config, actions, { log: stderrLogger, ports: JSON.parse(portsJson) as Record<string, string> });
process.stderr.write(JSON.stringify({ event: 'vrrp_started' }) + '\n');
process.once('SIGTERM', () => void vrrp.stop().then(() => process.exit(0)));
