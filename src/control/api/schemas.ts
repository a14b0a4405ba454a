// JSON Schemas of the REST API's bodies, path parameters and query strings: what fastify validates
// every request against and what the OpenAPI document publishes. Types only, no behaviour.

import { SCHED_FLAGS, SCHEDULERS } from '../../cli/parse/tsvsadm-table.js';

/*
 * Every object is closed (additionalProperties: false) and nothing is coerced (the server's ajv
 * runs with coerceTypes off), so a misspelt field or a "5" for 5 is a 400 naming the field, never
 * silently dropped or converted. Path and query values arrive as strings: they are declared as
 * strings with a pattern and converted by the routes.
 */

const uint = (max: number, description?: string, min = 0) => ({ type: 'integer', minimum: min, maximum: max, ...(description ? { description } : {}) }) as const;
const str = (description: string) => ({ type: 'string', minLength: 1, description }) as const;
// OpenAPI 3.0 (JSON Schema draft 4/5) refuses an empty `required`: it is left out then.
const closed = <P extends Record<string, unknown>>(properties: P, required: readonly (keyof P & string)[] = []) =>
  ({ type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) }) as const;

const PORT = uint(65535, 'TCP/UDP port');
const ADDR = str('IPv4 or IPv6 address');
const DEV = str('tsvs port name (tsvs.conf device), e.g. dpdk0');
const MAC = { type: 'string', pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$', description: 'a MAC address such as 02:00:00:00:00:01' } as const;

/** Service options shared by create and edit (ipvsadm -A / -E options). */
const SERVICE_OPTIONS = {
  scheduler: { type: 'string', enum: SCHEDULERS, description: 'ipvsadm -s; default wlc' },
  persistent: uint(86400 * 31, 'persistence timeout in seconds (ipvsadm -p)', 1),
  netmaskPlen: uint(128, 'persistence granularity as a prefix length (ipvsadm -M)', 1),
  schedFlags: { type: 'array', items: { type: 'string', enum: Object.keys(SCHED_FLAGS) }, uniqueItems: true, description: '--sched-flags' },
  connTimeout: uint(31535999, 'DPVS --conn-timeout in seconds; 0 = none'),
  hashTarget: { type: 'string', enum: ['sip', 'qid'], description: 'DPVS --hash-target (conhash only)' },
} as const;

const DEST_OPTIONS = {
  method: { type: 'string', enum: ['dr', 'tunnel', 'nat', 'fnat'], description: 'forwarding method (-g, -i, -m, --fullnat); default dr' },
  weight: uint(65535, 'ipvsadm -w; default 1, 0 = quiescent'),
  uThreshold: uint(65535, 'ipvsadm -x; 0 = none'),
  lThreshold: uint(65535, 'ipvsadm -y; 0 = none'),
  tunType: { type: 'string', enum: ['ipip', 'gue', 'gre'], description: '--tun-type (method tunnel)' },
  tunPort: uint(65535, '--tun-port (gue)', 1),
  tunCsum: { type: 'string', enum: ['nocsum', 'csum', 'remcsum'], description: '--tun-nocsum / --tun-csum / --tun-remcsum' },
} as const;

export const destBody = closed({ addr: ADDR, port: { ...PORT, description: 'real server port; default the service port' }, ...DEST_OPTIONS }, ['addr']);
export const destPatch = closed(DEST_OPTIONS);
export const laddrBody = closed({ addr: ADDR, dev: DEV }, ['addr', 'dev']);

/** A service's identity in a body: proto, addr and port, or fwmark (and af); the route checks which. */
const SERVICE_ID = {
  proto: { type: 'string', enum: ['tcp', 'udp'] },
  addr: { ...ADDR, description: 'virtual IP' },
  port: { ...PORT, description: 'virtual port; 0 only for a persistent service' },
  fwmark: uint(0xffffffff, 'firewall mark of a fwmark service (ipvsadm -f), instead of proto, addr and port; matches no traffic', 1),
  af: { type: 'integer', enum: [4, 6], description: 'family of a fwmark service (ipvsadm -6); default 4' },
} as const;

export const serviceBody = closed({
  ...SERVICE_ID,
  ...SERVICE_OPTIONS,
  ops: { type: 'boolean', description: 'one-packet scheduling, UDP only (ipvsadm -o)' },
  expireQuiescent: { type: 'boolean', description: 'DPVS --expire-quiescent' },
  dests: { type: 'array', items: destBody, description: 'real servers added with the service, in the same atomic change' },
  laddrs: { type: 'array', items: laddrBody, description: 'FullNAT local addresses added with the service' },
});
export const servicePatch = closed(SERVICE_OPTIONS);

export const linkBody = closed({ name: DEV, mac: MAC, mtu: uint(65535, 'MTU; default 1500', 68) }, ['name', 'mac']);
export const linkPatch = closed({ mac: MAC, mtu: uint(65535, 'MTU', 68), up: { type: 'boolean' } });

export const addressBody = closed({
  addr: ADDR, plen: uint(128, 'prefix length; default 32 / 128'), dev: DEV,
  sapool: { type: 'boolean', description: 'dpip sapool: FullNAT local ports are allocated from this address' },
  scope: { type: 'string', enum: ['host', 'link', 'global'] },
  validLft: uint(0xffffffff, 'seconds; default forever'), preferredLft: uint(0xffffffff, 'seconds; default forever'),
  broadcast: ADDR,
}, ['addr', 'dev']);

export const routeBody = closed({
  prefix: { type: 'string', minLength: 1, description: "ADDR/PLEN, ADDR (a host route) or 'default'" },
  via: ADDR, dev: DEV, src: ADDR,
  scope: { type: 'string', enum: ['host', 'link', 'global', 'kni_host'] },
  metric: uint(0xffffffff), mtu: uint(65535, undefined, 68),
}, ['prefix']);

export const neighBody = closed({ addr: ADDR, mac: MAC, dev: DEV }, ['addr', 'mac', 'dev']);

export const timeoutsBody = closed({
  tcp: uint(86400 * 31, 'TCP ESTABLISHED timeout in seconds; 0 = keep'),
  tcpfin: uint(86400 * 31, 'TCP FIN_WAIT timeout; 0 = keep'),
  udp: uint(86400 * 31, 'UDP timeout; 0 = keep'),
}, ['tcp', 'tcpfin', 'udp']);

export const settingBody = closed({ key: str('tsvs set KEY, e.g. ipvs_defs.tcp.timeout.established'), value: uint(0xffffffff) }, ['key', 'value']);

export const batchBody = {
  ...closed({
    lines: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'command lines as tsvsadm -R / a startup script takes them' },
    script: { type: 'string', minLength: 1, description: 'the same, as one text (newline-separated, # comments)' },
  }),
  description: 'exactly one of lines or script; applied as one atomic change',
  minProperties: 1, maxProperties: 1,
} as const;

export const zeroBody = closed({
  service: closed(SERVICE_ID),
});

// ---- path parameters and query strings (strings on the wire) ----

/** Decimal digits; `description` says what the value must be (the 400 message quotes it). */
const DIGITS = (max: number, description: string) => ({ type: 'string', pattern: `^[0-9]{1,${max}}$`, description }) as const;

export const serviceParams = closed({ proto: { type: 'string', enum: ['tcp', 'udp'] }, addr: ADDR, port: DIGITS(5, 'an integer 0..65535') }, ['proto', 'addr', 'port']);
/** /services/fwm/MARK/ipv4|ipv6: a fwmark service (its key is `fwm MARK` or `fwm MARK ipv6`). */
export const fwmParams = closed({ fwmark: DIGITS(10, 'an integer 1..4294967295'), family: { type: 'string', enum: ['ipv4', 'ipv6'] } }, ['fwmark', 'family']);
const withService = <P extends Record<string, unknown>>(svc: { properties: object; required?: readonly string[] }, props: P, req: readonly string[]) =>
  ({ type: 'object', additionalProperties: false, properties: { ...svc.properties, ...props }, required: [...(svc.required ?? []), ...req] }) as const;
const DEST_ID = { raddr: ADDR, rport: DIGITS(5, 'an integer 0..65535') };
export const destParams = withService(serviceParams, DEST_ID, ['raddr', 'rport']);
export const laddrParams = withService(serviceParams, { laddr: ADDR }, ['laddr']);
export const fwmDestParams = withService(fwmParams, DEST_ID, ['raddr', 'rport']);
export const fwmLaddrParams = withService(fwmParams, { laddr: ADDR }, ['laddr']);
export const nameParams = closed({ name: DEV }, ['name']);
export const addrParams = closed({ addr: ADDR }, ['addr']);
export const routeParams = closed({ prefix: ADDR, plen: DIGITS(3, 'an integer 0..128') }, ['prefix', 'plen']);
export const routeQuery = closed({ dev: DEV, metric: DIGITS(10, 'an integer 0..4294967295') });
export const neighQuery = closed({ dev: DEV }, ['dev']);
export const connQuery = closed({
  limit: DIGITS(5, 'an integer 1..10000 (rows per page; default 1000)'),
  cursor: { type: 'string', pattern: '^[0-9]{1,3}\\.[0-9]{1,10}$', description: "the 'next' of the previous page (WORKER.SLOT)" },
});
