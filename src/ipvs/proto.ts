// TCP and UDP connection states as DPVS names them, the TCP transition table (the LVS table
// DPVS keeps), and the default timeouts in seconds (DPVS's, not the kernel's).

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet/proto.js';

export const TCP_S_NONE = 0;
export const TCP_S_ESTABLISHED = 1;
export const TCP_S_SYN_SENT = 2;
export const TCP_S_SYN_RECV = 3;
export const TCP_S_FIN_WAIT = 4;
export const TCP_S_TIME_WAIT = 5;
export const TCP_S_CLOSE = 6;
export const TCP_S_CLOSE_WAIT = 7;
export const TCP_S_LAST_ACK = 8;
export const TCP_S_LISTEN = 9;
export const TCP_S_SYNACK = 10;
export const TCP_S_LAST = 11;

export const UDP_S_NONE = 0;
export const UDP_S_ONEWAY = 1;
export const UDP_S_NORMAL = 2;
export const UDP_S_LAST = 3;

/** `ipvsadm -lnc` state column on DPVS (get_conn_state_name). */
export const TCP_STATE_NAMES = [
  'TCP_NONE', 'TCP_EST', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT', 'TCP_CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'SYNACK', 'TCP_UNKOWN',
] as const;
export const UDP_STATE_NAMES = ['UDP_NONE', 'UDP_ONEWAY', 'UDP_NORM', 'UDP_LAST'] as const;

/** dpvs.conf key suffixes, in state order. */
export const TCP_STATE_KEYS = [
  'none', 'established', 'syn_sent', 'syn_recv', 'fin_wait', 'time_wait', 'close', 'close_wait', 'last_ack', 'listen', 'synack', 'last',
] as const;
export const UDP_STATE_KEYS = ['none', 'oneway', 'normal', 'last'] as const;

/** DPVS tcp_timeouts[] defaults (seconds). */
export const DEFAULT_TCP_TIMEOUTS = [2, 90, 3, 30, 7, 7, 3, 7, 7, 120, 30, 2] as const;
/** DPVS udp timeouts: NONE has no entry in DPVS's table; ONEWAY 300, NORMAL 300, LAST 2. */
export const DEFAULT_UDP_TIMEOUTS = [300, 300, 300, 2] as const;
/** DPVS ipvs_defs/conn/conn_init_timeout. */
export const DEFAULT_CONN_INIT_TIMEOUT = 3;

const sES = TCP_S_ESTABLISHED, sSS = TCP_S_SYN_SENT, sSR = TCP_S_SYN_RECV,
  sFW = TCP_S_FIN_WAIT, sTW = TCP_S_TIME_WAIT, sCL = TCP_S_CLOSE, sCW = TCP_S_CLOSE_WAIT,
  sLA = TCP_S_LAST_ACK, sLI = TCP_S_LISTEN;

/**
 * next = TCP_STATES[(table + event) * 11 + state]. Tables: 0 = packets from the client
 * (INPUT), 4 = from the real server (OUTPUT), 8 = DR/tunnel where we only see the client
 * (INPUT-ONLY). Events: 0 syn, 1 fin, 2 ack, 3 rst. Columns: NO ES SS SR FW TW CL CW LA LI SA.
 */
const TCP_STATES = new Uint8Array([
  // INPUT
  sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR,
  sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW,
  sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES,
  sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR,
  // OUTPUT
  sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR,
  sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW,
  sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES,
  sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL,
  // INPUT-ONLY
  sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR,
  sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW,
  sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES,
  sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL,
]);

export const TCP_TABLE_IN = 0;
export const TCP_TABLE_OUT = 4;
export const TCP_TABLE_IN_ONLY = 8;

/**
 * The transition for one segment. A segment with none of SYN/FIN/ACK/RST moves the connection
 * to CLOSE, as in LVS and DPVS (new_state starts as CLOSE and no table entry overrides it).
 */
export function tcpNextState(table: number, state: number, flags: number): number {
  let ev: number;
  if ((flags & TCP_RST) !== 0) ev = 3;
  else if ((flags & TCP_SYN) !== 0) ev = 0;
  else if ((flags & TCP_FIN) !== 0) ev = 1;
  else if ((flags & TCP_ACK) !== 0) ev = 2;
  else return TCP_S_CLOSE;
  return TCP_STATES[(table + ev) * 11 + state]!;
}
