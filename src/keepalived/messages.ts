// keepalived's log texts (check_tcp.c, check_http.c, ipwrapper.c), so operators' greps and
// alerting rules keep working: "[IP]:tcp:PORT" for real and virtual servers, "[GROUP]:0" for a
// virtual_server group, as keepalived's format_rs/format_vs print them.

import { formatIp } from '../packet/inet.js';
import type { HealthEvent } from './check/monitor.js';
import { rsId, vsId, vsPort } from './desired.js';
import type { KeepalivedConfig, RealServer, VirtualServer } from './model.js';

const protoName = (vs: VirtualServer): string => vs.protocol.toLowerCase();

/** keepalived's format_vs: `[IP]:tcp:PORT`, or `[GROUP]:0` (a group's virtual server has no port of its own). */
export function formatVs(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'ip') return `[${formatIp(k.addr)}]:${protoName(vs)}:${k.port}`;
  if (k.kind === 'group') return `[${k.name}]:0`;
  return `FWM ${k.mark}`;
}

/** keepalived's format_rs: `[IP]:tcp:PORT`. */
export function formatRs(config: KeepalivedConfig, vs: VirtualServer, rs: RealServer): string {
  return `[${formatIp(rs.addr)}]:${protoName(vs)}:${rs.port ?? vsPort(config, vs)}`;
}

interface Found {
  readonly vs: VirtualServer;
  readonly rs?: RealServer;
}

function find(config: KeepalivedConfig, vsKey: string, rsKey?: string): Found | undefined {
  const vs = config.virtualServers.find((v) => vsId(v) === vsKey);
  if (!vs) return undefined;
  if (rsKey === undefined) return { vs };
  const rs = vs.realServers.find((r) => rsId(vs, r) === rsKey);
  return rs ? { vs, rs } : undefined;
}

/** The checker's own lines for a transition (what check_tcp.c / check_http.c log). */
function checkerLines(kind: string, retry: number, rsText: string, up: boolean, reason: string): string[] {
  if (kind === 'TCP_CHECK') {
    if (up) return [`TCP connection to ${rsText} success.`];
    return [
      `TCP connection to ${rsText} ${reason === 'timeout' ? 'timeout' : 'failed'}.`,
      retry > 0 ? `TCP_CHECK on service ${rsText} failed after ${retry} retries.` : `TCP_CHECK on service ${rsText} failed.`,
    ];
  }
  if (kind === 'HTTP_GET' || kind === 'SSL_GET') {
    const proto = kind === 'SSL_GET' ? 'SSL' : 'HTTP';
    if (up) return [`Remote Web server ${rsText} succeed on service.`];
    const what = / digest /.test(reason) ? 'MD5 digest error to' : / status /.test(reason) ? 'HTTP status code error to' : 'Read, no data received from ';
    return [
      `${what} server ${rsText}.`,
      retry > 0 ? `${proto}_CHECK on service ${rsText} failed after ${retry} retries.` : `${proto}_CHECK on service ${rsText} failed.`,
    ];
  }
  return [`${kind} on service ${rsText} ${up ? 'succeeded' : `failed: ${reason}`}.`];
}

/** update_quorum_state's "Gained quorum Q+H=T <= W for VS X" / "Lost quorum Q-H=T > W for VS X". */
function quorumMessages(config: KeepalivedConfig, vsKey: string, up: boolean, weight: number): string[] {
  const vs = find(config, vsKey)?.vs;
  if (!vs) return [];
  if (up) return [`Gained quorum ${vs.quorum}+${vs.hysteresis}=${vs.quorum + vs.hysteresis} <= ${weight} for VS ${formatVs(vs)}`];
  return [`Lost quorum ${vs.quorum}-${vs.hysteresis}=${vs.quorum - vs.hysteresis} > ${weight} for VS ${formatVs(vs)}`];
}

/**
 * The log lines keepalived writes for one health event: the checker's, then the pool change
 * (perform_svr_state's "Adding/Removing service X to/from VS Y", or with inhibit_on_failure
 * "Enabling/Disabling service X of VS Y"), or the quorum change (update_quorum_state).
 * `retry` gives the checker's retry count for "failed after N retries".
 */
export function healthEventMessages(config: KeepalivedConfig, e: HealthEvent, retryOf: (vs: VirtualServer, rs: RealServer, checker: string) => number): string[] {
  switch (e.type) {
    case 'quorum-up':
    case 'quorum-down':
      return quorumMessages(config, e.vs, e.type === 'quorum-up', e.weight);
    default:
      return rsMessages(config, e, retryOf);
  }
}

function rsMessages(config: KeepalivedConfig, e: Extract<HealthEvent, { rs: string }>, retryOf: (vs: VirtualServer, rs: RealServer, checker: string) => number): string[] {
  const f = find(config, e.vs, e.rs);
  if (!f?.rs) return [];
  const { vs, rs } = f;
  const rsText = formatRs(config, vs, rs);
  const vsText = formatVs(vs);
  if (e.type === 'rs-weight') return [`Changing weight from ${rs.weight} to ${e.weight ?? rs.weight} for active service ${rsText} of VS ${vsText}`];
  const up = e.type === 'rs-up';
  const kind = e.checker.replace(/#\d+$/, '');
  const inhibit = rs.inhibitOnFailure ?? vs.inhibitOnFailure;
  const verb = up ? (inhibit ? 'Enabling' : 'Adding') : inhibit ? 'Disabling' : 'Removing';
  const prep = inhibit ? 'of' : up ? 'to' : 'from';
  return [...checkerLines(kind, retryOf(vs, rs, e.checker), rsText, up, e.reason), `${verb} service ${rsText} ${prep} VS ${vsText}`];
}
