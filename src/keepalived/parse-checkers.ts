// Parses the checker blocks of a real_server (TCP_CHECK, HTTP_GET, SSL_GET, UDP_CHECK, MISC_CHECK,
// DNS_CHECK) and the timing keywords they share with real_server and virtual_server.

import type { BraceNode } from '../control/brace-syntax.js';
import type { Diagnostics } from './diagnostics.js';
import type { CheckTiming, Checker, CheckerCommon, DnsType, HttpUrl } from './model.js';
import { type Handler, type Mutable, blockOf, flag, hexBytes, ipWord, oneWord, portWord, restOfLine, seconds, uint, walk } from './parse-values.js';

export const CHECKER_KINDS = ['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'UDP_CHECK', 'MISC_CHECK', 'DNS_CHECK'] as const;

/** Checkers keepalived has that tsvs does not run: a warning, not a silent gap in health checking. */
export const UNSUPPORTED_CHECKERS = ['SMTP_CHECK', 'PING_CHECK', 'FILE_CHECK', 'BFD_CHECK'];

/** Handlers for the timing keywords, writing into `t` (virtual_server, real_server, checker). */
export function timingHandlers(d: Diagnostics, t: Mutable<CheckTiming>): Record<string, Handler> {
  const set = <K extends keyof CheckTiming>(k: K, v: CheckTiming[K] | undefined): void => {
    if (v !== undefined) t[k] = v;
  };
  return {
    delay_loop: (n) => set('delayLoop', seconds(d, n, 0.000001)),
    connect_timeout: (n) => set('connectTimeout', seconds(d, n, 0.000001)),
    retry: (n) => set('retry', uint(d, n, 0, 1_000_000)),
    delay_before_retry: (n) => set('delayBeforeRetry', seconds(d, n)),
    warmup: (n) => set('warmup', seconds(d, n)),
    alpha: (n) => set('alpha', flag(d, n)),
  };
}

const IGNORED_COMMON = ['log_all_failures', 'bind_if', 'fwmark', 'connect_fwmark'];

function statusRanges(d: Diagnostics, n: BraceNode): [number, number][] | undefined {
  const out: [number, number][] = [];
  for (const w of n.words.slice(1)) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 100 || hi > 599 || hi < lo) {
      d.error(n, `status_code: '${w}' is not an HTTP status (100-599) or range (200-299)`);
      return undefined;
    }
    out.push([lo, hi]);
  }
  if (out.length === 0) d.error(n, 'status_code needs at least one status or range');
  return out.length ? out : undefined;
}

function parseUrl(d: Diagnostics, n: BraceNode): HttpUrl | undefined {
  const url: Partial<Mutable<HttpUrl>> = {};
  walk(d, blockOf(d, n), 'url', {
    path: (s) => { const v = restOfLine(d, s); if (v !== undefined) url.path = v; },
    digest: (s) => {
      const v = oneWord(d, s);
      if (v === undefined) return;
      if (!/^[0-9a-fA-F]{32}$/.test(v)) d.error(s, `digest: '${v}' is not an MD5 in hex (32 hex digits, as genhash prints)`);
      else url.digest = v.toLowerCase();
    },
    status_code: (s) => { const v = statusRanges(d, s); if (v) url.statusCodes = v; },
    virtualhost: (s) => { const v = oneWord(d, s); if (v !== undefined) url.virtualhost = v; },
    regex: (s) => d.warn(s, 'url regex is not supported by tsvs: ignored (use digest or status_code)'),
  }, ['regex_no_match', 'regex_options', 'regex_stack', 'regex_min_offset', 'regex_max_offset']);
  if (url.path === undefined) {
    d.error(n, 'url needs a path');
    return undefined;
  }
  return { path: url.path, statusCodes: url.statusCodes ?? [[200, 299]], ...(url.digest ? { digest: url.digest } : {}), ...(url.virtualhost ? { virtualhost: url.virtualhost } : {}) };
}

const DNS_TYPES: readonly DnsType[] = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'];

/** Parses one checker block; undefined (with errors reported) when it cannot run. */
export function parseChecker(d: Diagnostics, n: BraceNode): Checker | undefined {
  const kind = n.words[0] as (typeof CHECKER_KINDS)[number];
  if (n.words.length > 1) d.warn(n, `${kind} takes no name: '${n.words.slice(1).join(' ')}' ignored`);
  const c: Mutable<CheckerCommon> = { where: { file: n.file, line: n.line } };
  const common: Record<string, Handler> = {
    ...timingHandlers(d, c),
    connect_ip: (s) => { const a = ipWord(d, s, s.words[1], 'connect_ip'); if (a) c.connectIp = a; },
    connect_port: (s) => { const p = portWord(d, s, s.words[1], 'connect_port'); if (p !== undefined) c.connectPort = p; },
    bindto: (s) => { const a = ipWord(d, s, s.words[1], 'bindto'); if (a) c.bindto = a; },
    bind_port: (s) => { const p = portWord(d, s, s.words[1], 'bind_port'); if (p !== undefined) c.bindPort = p; },
  };
  const body = blockOf(d, n);
  switch (kind) {
    case 'TCP_CHECK':
      walk(d, body, kind, common, IGNORED_COMMON);
      return { ...c, kind };
    case 'HTTP_GET':
    case 'SSL_GET': {
      const urls: HttpUrl[] = [];
      let httpProtocol: '1.0' | '1.0C' | '1.0K' | '1.1' = '1.0';
      let virtualhost: string | undefined;
      let enableSni = false;
      walk(d, body, kind, {
        ...common,
        url: (s) => { const u = parseUrl(d, s); if (u) urls.push(u); },
        http_protocol: (s) => {
          const v = oneWord(d, s);
          if (v === '1.0' || v === '1.0C' || v === '1.0K' || v === '1.1') httpProtocol = v;
          else if (v !== undefined) d.error(s, `http_protocol: '${v}' is not one of 1.0, 1.0C, 1.0K, 1.1`);
        },
        virtualhost: (s) => { virtualhost = oneWord(d, s); },
        enable_sni: (s) => { enableSni = flag(d, s); },
        nb_get_retry: (s) => {
          d.warn(s, "nb_get_retry is deprecated: use 'retry'");
          const v = uint(d, s, 0, 1_000_000);
          if (v !== undefined) c.retry = v;
        },
      }, [...IGNORED_COMMON, 'fast_recovery', 'tls_compliant', 'sni_name']);
      if (urls.length === 0) d.error(n, `${kind} needs at least one url { path ... }`);
      return { ...c, kind, urls, httpProtocol, enableSni, ...(virtualhost !== undefined ? { virtualhost } : {}) };
    }
    case 'UDP_CHECK': {
      let payload: Uint8Array | undefined;
      let requireReply: { data: Uint8Array; mask: Uint8Array } | undefined;
      let minReplyLength = 0;
      let maxReplyLength = 255;
      walk(d, body, kind, {
        ...common,
        payload: (s) => { payload = hexBytes(d, s, false)?.data; },
        // Bare require_reply: any reply will do (keepalived's require_reply without data).
        require_reply: (s) => { requireReply = s.words.length === 1 ? { data: new Uint8Array(0), mask: new Uint8Array(0) } : hexBytes(d, s, true); },
        min_reply_length: (s) => { minReplyLength = uint(d, s, 0, 65535) ?? minReplyLength; },
        max_reply_length: (s) => { maxReplyLength = uint(d, s, 0, 65535) ?? maxReplyLength; },
      }, IGNORED_COMMON);
      return { ...c, kind, minReplyLength, maxReplyLength, ...(payload ? { payload } : {}), ...(requireReply ? { requireReply } : {}) };
    }
    case 'MISC_CHECK': {
      let miscPath: string | undefined;
      let miscTimeout: number | undefined;
      let miscDynamic = false;
      let user: string | undefined;
      walk(d, body, kind, {
        ...common,
        misc_path: (s) => { miscPath = restOfLine(d, s); },
        misc_timeout: (s) => { miscTimeout = seconds(d, s, 0.000001); },
        misc_dynamic: (s) => { miscDynamic = flag(d, s); },
        user: (s) => { user = restOfLine(d, s); },
      }, IGNORED_COMMON);
      if (miscPath === undefined) {
        d.error(n, 'MISC_CHECK needs misc_path');
        return undefined;
      }
      return { ...c, kind, miscPath, miscDynamic, ...(miscTimeout !== undefined ? { miscTimeout } : {}), ...(user !== undefined ? { user } : {}) };
    }
    case 'DNS_CHECK': {
      let type: DnsType = 'SOA';
      let name = '.';
      walk(d, body, kind, {
        ...common,
        type: (s) => {
          const v = oneWord(d, s)?.toUpperCase();
          if (v !== undefined && (DNS_TYPES as readonly string[]).includes(v)) type = v as DnsType;
          else if (v !== undefined) d.error(s, `type: '${s.words[1]}' is not one of ${DNS_TYPES.join(', ')}`);
        },
        name: (s) => { name = oneWord(d, s) ?? name; },
      }, IGNORED_COMMON);
      return { ...c, kind, type, name };
    }
  }
}
