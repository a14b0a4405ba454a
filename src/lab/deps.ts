// The Debian packages the lab drives (the same checks as scripts/ensure-test-deps.sh, which the
// test suite runs, limited to what the lab needs): installed with apt-get when missing.

import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TsvsError } from '../errors.js';

/** Program -> Debian package. nginx, ethtool, nft and ip live in sbin, which a PATH may lack. */
export const LAB_PACKAGES: readonly (readonly [string, string])[] = [
  ['ip', 'iproute2'],
  ['ethtool', 'ethtool'],
  // The daemon's takeover (src/drivers/nft-takeover.ts).
  ['nft', 'nftables'],
  ['nginx', 'nginx'],
  ['curl', 'curl'],
  ['ping', 'iputils-ping'],
];

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export function findProgram(name: string): string | null {
  for (const d of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN]) {
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch { /* not here */ }
  }
  return null;
}

/** The packages whose program is missing. */
export function missingPackages(): string[] {
  return LAB_PACKAGES.filter(([prog]) => findProgram(prog) === null).map(([, pkg]) => pkg);
}

/** Installs what is missing (root only); `log` reports what it does. */
export function ensureLabPackages(log: (line: string) => void): void {
  const need = missingPackages();
  if (need.length === 0) return;
  log(`installing ${need.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...need], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new TsvsError('TSVS_ERR_CONFIG', `cannot install ${need.join(' ')}: ${(e as Error).message}`);
  }
  const still = missingPackages();
  if (still.length) throw new TsvsError('TSVS_ERR_CONFIG', `still missing after apt-get: ${still.join(' ')}`);
}
