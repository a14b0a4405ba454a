// Builds the native I/O addon (native/, binding.gyp) with node-gyp against the running Node's own
// headers: never downloads them (installs may be offline). Runs from `prepare`, so `npm ci` builds it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const addon = join(root, 'build', 'Release', 'tsvs_afpacket.node');
const sources = ['binding.gyp', 'native/afpacket.cc'].map((f) => join(root, f));

if (process.platform !== 'linux') {
  console.log(`build:native: skipped on ${process.platform} (AF_PACKET is Linux-only); the afpacket driver will be unavailable`);
  process.exit(0);
}

// N-API addons keep working across Node versions, so only a source change calls for a rebuild.
const force = process.argv.includes('--force');
if (!force && existsSync(addon)) {
  const built = statSync(addon).mtimeMs;
  if (sources.every((f) => statSync(f).mtimeMs <= built)) {
    console.log('build:native: build/Release/tsvs_afpacket.node is up to date');
    process.exit(0);
  }
}

/**
 * The directory whose include/node holds this Node's headers and common.gypi. Layouts differ:
 * nodejs.org tarballs and nvm put them under the install prefix (node_prefix, e.g. /usr/local);
 * Debian and NodeSource packages under /usr while node_prefix may say "/" or "/usr". Checking
 * the candidates, rather than trusting one, covers Node 20, 22 and 24 on each.
 */
function findNodeDir() {
  // TSVS_NODEDIR, when set and holding headers, wins; the rest are checked for this Node's version.
  const candidates = [
    process.env.TSVS_NODEDIR,
    process.env.npm_config_nodedir,
    process.config.variables.node_prefix,
    dirname(dirname(process.execPath)),
    '/usr',
    '/usr/local',
  ].filter((d) => typeof d === 'string' && d.length > 0);
  const ok = (d) => existsSync(join(d, 'include', 'node', 'node_api.h')) && existsSync(join(d, 'include', 'node', 'common.gypi'));
  // Prefer headers of this very Node (a stale nodedir in ~/.npmrc may point at another install);
  // any N-API headers still build a working addon, since N-API is ABI-stable.
  const major = (d) => {
    const h = join(d, 'include', 'node', 'node_version.h');
    return existsSync(h) ? /#define NODE_MAJOR_VERSION (\d+)/.exec(readFileSync(h, 'utf8'))?.[1] : undefined;
  };
  const usable = candidates.filter(ok);
  const explicit = process.env.TSVS_NODEDIR && ok(process.env.TSVS_NODEDIR) ? process.env.TSVS_NODEDIR : undefined;
  const found = explicit ?? usable.find((d) => major(d) === process.versions.node.split('.')[0]) ?? usable[0];
  if (found) return resolve(found);
  console.error(
    `build:native: no Node.js headers for ${process.version} (looked for include/node/node_api.h and common.gypi under ` +
      `${[...new Set(candidates)].join(', ')}).\n` +
      '  Debian/Ubuntu: apt-get install libnode-dev (or the nodejs package from NodeSource, which ships them);\n' +
      '  a nodejs.org binary tarball ships them under its prefix; or set TSVS_NODEDIR to the directory holding include/node.',
  );
  process.exit(1);
}

const nodeDir = findNodeDir();
const gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
console.log(`build:native: node-gyp rebuild --nodedir=${nodeDir}`);
const r = spawnSync(process.execPath, [gyp, 'rebuild', '--release', `--nodedir=${nodeDir}`], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build:native: node-gyp failed (it needs python3, make and g++: apt-get install python3 make g++)');
  process.exit(r.status ?? 1);
}
