// Routing tables: longest-prefix match, metrics, errors in iproute2's words, and a randomized
// cross-check of every lookup against a brute-force scan over the same routes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RouteTable, type RouteEntry, type RouteScope } from '../../src/netif/route.js';
import { ip4, ip6, maskIp, parseIp, wordMask, type IpAddr } from '../../src/packet/inet.js';
import { TsvsError } from '../../src/errors.js';

function addr(s: string): IpAddr {
  const a = parseIp(s);
  if (!a) throw new Error(`bad address ${s}`);
  return a;
}

/** A route from `ip route`-like shorthand: route('10.0.0.0/8', { port: 1, via: '10.0.0.1' }). */
function route(cidr: string, o: { port?: number; metric?: number; via?: string; src?: string; scope?: RouteScope; mtu?: number } = {}): RouteEntry {
  const [a, l] = cidr.split('/');
  const prefix = addr(a!);
  return {
    af: prefix.af, prefix, plen: Number(l), via: o.via ? addr(o.via) : null, port: o.port ?? 0,
    src: o.src ? addr(o.src) : null, scope: o.scope ?? 'link', metric: o.metric ?? 0, mtu: o.mtu ?? 0,
  };
}

/** The route a lookup of `dst` finds, shown as "prefix/plen port metric" (or null). */
function find(t: RouteTable, dst: string): string | null {
  const a = addr(dst);
  const r = a.af === 4 ? t.lookup4(a.w0) : t.lookup6(a.w0, a.w1, a.w2, a.w3);
  return r && show(r);
}

function show(r: RouteEntry): string {
  const p = r.prefix;
  const text = r.af === 4 ? `${p.w0 >>> 24}.${(p.w0 >>> 16) & 255}.${(p.w0 >>> 8) & 255}.${p.w0 & 255}` : [p.w0, p.w1, p.w2, p.w3].map((w) => w.toString(16)).join(':');
  return `${text}/${r.plen} port ${r.port} metric ${r.metric}`;
}

const code = (c: string) => (e: unknown) => e instanceof TsvsError && e.code === c;

test('an empty table finds nothing', () => {
  const t = new RouteTable();
  assert.equal(t.lookup4(addr('10.0.0.1').w0), null);
  assert.equal(t.lookup6(0, 0, 0, 1), null);
  assert.equal(t.size, 0);
});

test('IPv4 longest prefix wins; the default route catches the rest', () => {
  const t = new RouteTable();
  t.add(route('0.0.0.0/0', { port: 9, via: '192.168.0.1', scope: 'global' }));
  t.add(route('10.0.0.0/8', { port: 1 }));
  t.add(route('10.1.0.0/16', { port: 2 }));
  t.add(route('10.1.2.0/24', { port: 3 }));
  t.add(route('10.1.2.3/32', { port: 4, scope: 'host' }));
  assert.equal(find(t, '10.1.2.3'), '10.1.2.3/32 port 4 metric 0');
  assert.equal(find(t, '10.1.2.4'), '10.1.2.0/24 port 3 metric 0');
  assert.equal(find(t, '10.1.3.4'), '10.1.0.0/16 port 2 metric 0');
  assert.equal(find(t, '10.2.0.0'), '10.0.0.0/8 port 1 metric 0');
  assert.equal(find(t, '11.0.0.0'), '0.0.0.0/0 port 9 metric 0');
  assert.equal(find(t, '255.255.255.255'), '0.0.0.0/0 port 9 metric 0');
  assert.equal(t.size, 5);
  const def = t.lookup4(addr('8.8.8.8').w0)!;
  assert.deepEqual([def.via, def.scope], [addr('192.168.0.1'), 'global']);
});

test('IPv6 longest prefix wins, /128 hosts and ::/0', () => {
  const t = new RouteTable();
  t.add(route('::/0', { port: 9, via: 'fe80::1' }));
  t.add(route('2001:db8::/32', { port: 1 }));
  t.add(route('2001:db8:0:1::/64', { port: 2 }));
  t.add(route('2001:db8:0:1::5/128', { port: 3 }));
  t.add(route('2001:db8:0:1:8000::/65', { port: 4 }));
  t.add(route('2001:db8:0:1::4/127', { port: 5 }));
  assert.equal(find(t, '2001:db8:0:1::5')?.split(' ').slice(1).join(' '), 'port 3 metric 0');
  assert.equal(find(t, '2001:db8:0:1::4')?.split(' ')[2], '5');
  assert.equal(find(t, '2001:db8:0:1::6')?.split(' ')[2], '2');
  assert.equal(find(t, '2001:db8:0:1:8000::1')?.split(' ')[2], '4');
  assert.equal(find(t, '2001:db8:ffff::1')?.split(' ')[2], '1');
  assert.equal(find(t, '2002::1')?.split(' ')[2], '9');
  // IPv4 and IPv6 tables are separate: an IPv4 lookup never sees ::/0.
  assert.equal(t.lookup4(0), null);
});

test('among routes to one prefix the lowest metric wins, then the first added', () => {
  const t = new RouteTable();
  t.add(route('10.0.0.0/24', { port: 1, metric: 200 }));
  t.add(route('10.0.0.0/24', { port: 2, metric: 100 }));
  t.add(route('10.0.0.0/24', { port: 3, metric: 100 }));
  t.add(route('10.0.0.0/24', { port: 1, metric: 100 }));
  assert.equal(find(t, '10.0.0.1'), '10.0.0.0/24 port 2 metric 100');
  t.del(4, addr('10.0.0.0'), 24, 2);
  assert.equal(find(t, '10.0.0.1'), '10.0.0.0/24 port 3 metric 100');
  t.del(4, addr('10.0.0.0'), 24, 3, 100);
  t.del(4, addr('10.0.0.0'), 24, 1, 100);
  assert.equal(find(t, '10.0.0.1'), '10.0.0.0/24 port 1 metric 200');
  // A longer prefix wins whatever its metric.
  t.add(route('10.0.0.0/25', { port: 7, metric: 9999 }));
  assert.equal(find(t, '10.0.0.1'), '10.0.0.0/25 port 7 metric 9999');
});

test('adding the same (prefix, plen, port, metric) twice fails like `ip route add`', () => {
  const t = new RouteTable();
  t.add(route('10.0.0.0/8', { port: 1, metric: 5 }));
  assert.throws(() => t.add(route('10.0.0.0/8', { port: 1, metric: 5, via: '10.0.0.1' })), (e: unknown) =>
    code('TSVS_ERR_ROUTE_EXISTS')(e) && /10\.0\.0\.0\/8 on port 1 metric 5 already exists \(RTNETLINK answers: File exists\)/.test((e as Error).message));
  t.add(route('10.0.0.0/8', { port: 2, metric: 5 }));
  t.add(route('10.0.0.0/8', { port: 1, metric: 6 }));
  assert.equal(t.size, 3);
});

test('host bits past the prefix length are refused, as iproute2 and dpip do', () => {
  const t = new RouteTable();
  assert.throws(() => t.add(route('10.0.0.1/8')), (e: unknown) =>
    code('TSVS_ERR_INVALID_ARG')(e) && (e as Error).message === 'Invalid prefix for given prefix length: 10.0.0.1/8 (did you mean 10.0.0.0/8?)');
  assert.throws(() => t.add(route('2001:db8::1/64')), /did you mean 2001:db8::\/64\?/);
  assert.throws(() => t.del(4, addr('10.0.0.1'), 8), code('TSVS_ERR_INVALID_ARG'));
  assert.equal(t.size, 0);
});

test('other invalid routes are refused with the field named', () => {
  const t = new RouteTable();
  assert.throws(() => t.add(route('10.0.0.0/33')), /prefix length 33 is out of range for IPv4 \(0-32\)/);
  assert.throws(() => t.add({ ...route('10.0.0.0/8'), af: 6 }), /route prefix 10\.0\.0\.0 is not an IPv6 address/);
  assert.throws(() => t.add(route('10.0.0.0/8', { via: 'fe80::1' })), /gateway fe80::1 is not an IPv4 address/);
  assert.throws(() => t.add(route('::/0', { src: '10.0.0.1' })), /source 10\.0\.0\.1 is not an IPv6 address/);
  assert.throws(() => t.add(route('10.0.0.0/8', { metric: -1 })), /metric -1/);
  assert.throws(() => t.add(route('10.0.0.0/8', { port: 1.5 })), /port index 1\.5/);
  assert.throws(() => t.add(route('10.0.0.0/8', { mtu: -1 })), /mtu -1/);
  assert.equal(t.size, 0);
});

test('del removes one route and returns it; a missing one fails like `ip route del`', () => {
  const t = new RouteTable();
  t.add(route('192.168.0.0/16', { port: 1, metric: 10 }));
  t.add(route('192.168.0.0/16', { port: 2, metric: 20 }));
  assert.throws(() => t.del(4, addr('192.168.0.0'), 16, 3), (e: unknown) =>
    code('TSVS_ERR_NO_ROUTE')(e) && (e as Error).message === 'no route 192.168.0.0/16 on port 3 (RTNETLINK answers: No such process)');
  assert.throws(() => t.del(4, addr('192.168.0.0'), 24), code('TSVS_ERR_NO_ROUTE'));
  assert.throws(() => t.del(6, addr('::'), 0), code('TSVS_ERR_NO_ROUTE'));
  // Without port or metric, the lowest-metric route goes first.
  const gone = t.del(4, addr('192.168.0.0'), 16);
  assert.deepEqual([gone.port, gone.metric], [1, 10]);
  assert.equal(find(t, '192.168.1.1'), '192.168.0.0/16 port 2 metric 20');
  t.del(4, addr('192.168.0.0'), 16, 2, 20);
  assert.equal(find(t, '192.168.1.1'), null);
  assert.equal(t.size, 0);
  // The emptied table takes routes again.
  t.add(route('192.168.0.0/16', { port: 1, metric: 10 }));
  assert.equal(find(t, '192.168.1.1'), '192.168.0.0/16 port 1 metric 10');
});

test('flush by family, by port, or everything', () => {
  const t = new RouteTable();
  t.add(route('10.0.0.0/8', { port: 1 }));
  t.add(route('10.1.0.0/16', { port: 2 }));
  t.add(route('0.0.0.0/0', { port: 2 }));
  t.add(route('fd00::/8', { port: 1 }));
  t.add(route('::/0', { port: 2 }));
  assert.equal(t.flush(4, 2), 2);
  assert.equal(find(t, '10.1.0.1'), '10.0.0.0/8 port 1 metric 0');
  assert.equal(find(t, '11.0.0.1'), null);
  assert.equal(t.flush(undefined, 1), 2);
  assert.equal(t.size, 1);
  assert.equal(t.flush(6), 1);
  assert.equal(t.flush(), 0);
  assert.equal(t.size, 0);
});

test('list: IPv4 first, by prefix, shorter first, then metric; filtered by family', () => {
  const t = new RouteTable();
  for (const c of ['fd00::/8', '10.1.0.0/16', '0.0.0.0/0', '10.0.0.0/8', '10.0.0.0/16', '::/0', '192.168.0.0/24']) t.add(route(c, { port: 1 }));
  t.add(route('10.0.0.0/8', { port: 2, metric: 1 }));
  assert.deepEqual(t.list().map(show), [
    '0.0.0.0/0 port 1 metric 0', '10.0.0.0/8 port 1 metric 0', '10.0.0.0/8 port 2 metric 1', '10.0.0.0/16 port 1 metric 0',
    '10.1.0.0/16 port 1 metric 0', '192.168.0.0/24 port 1 metric 0', '0:0:0:0/0 port 1 metric 0', 'fd000000:0:0:0/8 port 1 metric 0',
  ]);
  assert.equal(t.list(6).length, 2);
  assert.equal(t.list(4).length, 6);
});

test('stored routes are frozen copies: changing the caller\'s object changes nothing', () => {
  const t = new RouteTable();
  const r = { ...route('10.0.0.0/8', { port: 1 }) } as { -readonly [K in keyof RouteEntry]: RouteEntry[K] };
  t.add(r);
  r.port = 5;
  assert.equal(t.lookup4(addr('10.0.0.1').w0)!.port, 1);
  assert.ok(Object.isFrozen(t.list()[0]));
});

test('many prefixes of one length: tables grow and shrink without losing any (probe runs survive deletes)', () => {
  const t = new RouteTable();
  const n = 2000;
  for (let i = 0; i < n; i++) t.add({ ...route('0.0.0.0/0'), prefix: ip4(i << 8), plen: 24, port: i });
  for (let i = 0; i < n; i += 2) t.del(4, ip4(i << 8), 24);
  for (let i = 0; i < n; i++) {
    const r = t.lookup4((i << 8) | 77);
    assert.equal(r ? r.port : null, i % 2 ? i : null);
  }
  assert.equal(t.size, n / 2);
});

// ---- randomized cross-check against a brute-force scan ----

/** What a lookup must return, by the definition: longest plen, then lowest metric, then oldest. */
function bruteForce(routes: RouteEntry[], a: IpAddr): RouteEntry | null {
  let best: RouteEntry | null = null;
  for (const r of routes) {
    if (r.af !== a.af) continue;
    const m = maskIp(a, r.plen);
    if (m.w0 !== r.prefix.w0 || m.w1 !== r.prefix.w1 || m.w2 !== r.prefix.w2 || m.w3 !== r.prefix.w3) continue;
    if (!best || r.plen > best.plen || (r.plen === best.plen && r.metric < best.metric)) best = r;
  }
  return best;
}

// Addresses are drawn near a few bases so that prefixes overlap and collide often.
const V4_BASES = [0x0a000000, 0x0a010200, 0xc0a80000, 0xffffff00];
const V6_BASES: [number, number, number, number][] = [[0x20010db8, 0, 0, 0], [0x20010db8, 0, 1, 0], [0xfd000000, 0, 0, 0xffffffff]];

const arbAddr: fc.Arbitrary<IpAddr> = fc.oneof(
  fc.tuple(fc.constantFrom(...V4_BASES), fc.integer({ min: 0, max: 0xffff })).map(([b, x]) => ip4((b ^ x) >>> 0)),
  fc.tuple(fc.constantFrom(...V6_BASES), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff }))
    .map(([b, w, x]) => { const ws = [...b]; ws[w] = (ws[w]! ^ (x << (w === 3 ? 0 : 16))) >>> 0; return ip6(ws[0]!, ws[1]!, ws[2]!, ws[3]!); }),
);

// Mostly a few common lengths, so that equal prefixes (metric and order rules) turn up often.
const arbPlen = fc.oneof(fc.constantFrom(0, 8, 24, 32, 48, 64, 127, 128), fc.integer({ min: 0, max: 128 }));

const arbRoute: fc.Arbitrary<RouteEntry> = fc.tuple(arbAddr, arbPlen, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }))
  .map(([a, l, port, metric]) => {
    const plen = a.af === 4 ? Math.min(l, 32) : l;
    return { af: a.af, prefix: maskIp(a, plen), plen, via: null, port, src: null, scope: 'link' as const, metric: metric * 10, mtu: 0 };
  });

type Op = { op: 'add'; r: RouteEntry } | { op: 'del'; i: number } | { op: 'flush'; af?: 4 | 6; port?: number };
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: arbRoute.map((r) => ({ op: 'add' as const, r })) },
  { weight: 3, arbitrary: fc.nat().map((i) => ({ op: 'del' as const, i })) },
  { weight: 1, arbitrary: fc.record({ af: fc.constantFrom<4 | 6 | undefined>(4, 6, undefined), port: fc.constantFrom(0, 1, undefined) }).map((f) => ({ op: 'flush' as const, ...f })) },
);

const same = (a: RouteEntry, b: RouteEntry) => a.af === b.af && a.plen === b.plen && a.port === b.port && a.metric === b.metric &&
  a.prefix.w0 === b.prefix.w0 && a.prefix.w1 === b.prefix.w1 && a.prefix.w2 === b.prefix.w2 && a.prefix.w3 === b.prefix.w3;

test('randomized: lookups agree with a brute-force scan through adds, deletes and flushes', () => {
  fc.assert(fc.property(fc.array(arbOp, { maxLength: 200, size: 'max' }), fc.array(arbAddr, { minLength: 1, maxLength: 40 }), (ops, probes) => {
    const t = new RouteTable();
    let model: RouteEntry[] = [];
    for (const o of ops) {
      if (o.op === 'add') {
        const dup = model.some((m) => same(m, o.r));
        if (dup) assert.throws(() => t.add(o.r), code('TSVS_ERR_ROUTE_EXISTS'));
        else { t.add(o.r); model.push(o.r); }
      } else if (o.op === 'del') {
        if (model.length === 0) continue;
        const victim = model[o.i % model.length]!;
        const got = t.del(victim.af, victim.prefix, victim.plen, victim.port, victim.metric);
        assert.ok(same(got, victim));
        model = model.filter((m) => m !== victim);
      } else {
        const keep = model.filter((m) => (o.af !== undefined && m.af !== o.af) || (o.port !== undefined && m.port !== o.port));
        assert.equal(t.flush(o.af, o.port), model.length - keep.length);
        model = keep;
      }
      assert.equal(t.size, model.length);
    }
    // Probe the given addresses and every prefix's own first and last address.
    const all = [...probes, ...model.flatMap((m) => [m.prefix, lastAddress(m)])];
    for (const a of all) {
      const want = bruteForce(model, a);
      const got = a.af === 4 ? t.lookup4(a.w0) : t.lookup6(a.w0, a.w1, a.w2, a.w3);
      if (want === null) assert.equal(got, null);
      else assert.ok(got !== null && same(got, want), `lookup of ${JSON.stringify(a)}: got ${got && show(got)}, want ${show(want)}`);
    }
    assert.equal(t.list().length, model.length);
  }), { numRuns: 300 });
});

function lastAddress(r: RouteEntry): IpAddr {
  const p = r.prefix;
  const host = (w: number) => (~wordMask(r.plen - 32 * w)) >>> 0;
  return r.af === 4 ? ip4((p.w0 | host(0)) >>> 0) : ip6((p.w0 | host(0)) >>> 0, (p.w1 | host(1)) >>> 0, (p.w2 | host(2)) >>> 0, (p.w3 | host(3)) >>> 0);
}
