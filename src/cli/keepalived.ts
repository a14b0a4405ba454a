// `tsvs keepalived`: -t -f FILE validates a keepalived.conf and prints FILE:LINE diagnostics.
// Running it (checkers + VRRP applying state through the daemon) is not wired yet; see docs/keepalived.md.

import { parseArgs } from 'node:util';
import { TsvsError } from '../errors.js';
import { formatDiagnostic } from '../keepalived/diagnostics.js';
import { parseKeepalivedFile } from '../keepalived/parser.js';

/** keepalived's `-t` exit codes (lib/scheduler.h KEEPALIVED_CHK_EXIT_*): 0 ok, 4 cannot run. */
export const EXIT_CONFIG_OK = 0;
export const EXIT_CONFIG_ERROR = 4;

export const KEEPALIVED_USAGE = '  tsvs keepalived -t -f keepalived.conf   check the file: FILE:LINE diagnostics, exit 0 ok / 4 errors\n';

export function keepalivedMain(args: string[], out: (s: string) => void, err: (s: string) => void): number {
  const { values } = parseArgs({
    args,
    options: { 'config-test': { type: 'boolean', short: 't' }, 'use-file': { type: 'string', short: 'f' } },
    strict: true,
  });
  const file = values['use-file'] ?? '/etc/keepalived/keepalived.conf';
  if (!values['config-test']) {
    throw new TsvsError('TSVS_ERR_UNSUPPORTED', 'tsvs keepalived only checks files so far: use -t -f FILE (running it arrives with issue 5)');
  }
  const { config, diagnostics } = parseKeepalivedFile(file);
  for (const d of diagnostics.list) err(formatDiagnostic(d) + '\n');
  if (!config || diagnostics.hasErrors) {
    const n = diagnostics.list.filter((d) => d.severity === 'error').length;
    err(`${file}: ${n} error${n === 1 ? '' : 's'}: tsvs keepalived will not run this configuration\n`);
    return EXIT_CONFIG_ERROR;
  }
  out(`${file}: configuration OK (${config.vrrpInstances.length} vrrp_instance, ${config.virtualServers.length} virtual_server)\n`);
  return EXIT_CONFIG_OK;
}
