// Running the Linux tools the takeover drives (nft, ethtool) from the main thread: found in PATH or
// in the sbin directories a non-login PATH lacks; failures become TsvsErrors naming the package.

import { execFileSync } from 'node:child_process';
import { TsvsError } from '../errors.js';

/** Where Debian installs nft and ethtool; a daemon started from a service manager may not have them in PATH. */
const SBIN = ['/usr/sbin', '/sbin'];

/** Lines of a failing tool's stderr kept in the error message. */
const MAX_DETAIL_LINES = 3;

export interface HostTool {
  /** The command, e.g. `nft`. */
  readonly cmd: string;
  /** The Debian package that provides it, for the error message. */
  readonly pkg: string;
}

export const NFT: HostTool = { cmd: 'nft', pkg: 'nftables' };
export const ETHTOOL: HostTool = { cmd: 'ethtool', pkg: 'ethtool' };

/**
 * Runs the tool with `args` (and `input` on stdin); returns its stdout. `what` says what tsvs was
 * doing, so the operator reads e.g. "takeover: installing table netdev tsvs_1a2b: nft -f - failed: ...".
 */
export function runHostTool(tool: HostTool, args: readonly string[], what: string, input?: string): string {
  for (const cmd of [tool.cmd, ...SBIN.map((d) => `${d}/${tool.cmd}`)]) {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string; status?: number | null };
      if (err.code === 'ENOENT') continue;
      // nft reports each failing line of a script with its source and a caret line: the first
      // error is what the operator needs; the rest is counted.
      const lines = ((err.stderr ?? '').trim() || err.message).split('\n');
      const detail = lines.slice(0, MAX_DETAIL_LINES).join('\n') + (lines.length > MAX_DETAIL_LINES ? `\n(${lines.length - MAX_DETAIL_LINES} more lines)` : '');
      throw new TsvsError('TSVS_ERR_TAKEOVER', `takeover: ${what}: ${tool.cmd} ${args.join(' ')} failed (exit ${err.status ?? '?'}): ${detail}`, { cause: e });
    }
  }
  throw new TsvsError('TSVS_ERR_TAKEOVER', `takeover: ${what}: ${tool.cmd} not found: install the ${tool.pkg} package (apt-get install ${tool.pkg})`);
}
