// One error hierarchy for tsvs: every error an operator can see has a stable code and a message
// that says what to do. The data plane never throws; these are for configuration and tools.

export type TsvsErrorCode =
  | 'TSVS_ERR_SYNTAX'
  | 'TSVS_ERR_INVALID_ARG'
  | 'TSVS_ERR_NO_SERVICE'
  | 'TSVS_ERR_SERVICE_EXISTS'
  | 'TSVS_ERR_NO_DEST'
  | 'TSVS_ERR_DEST_EXISTS'
  | 'TSVS_ERR_NO_PORT'
  | 'TSVS_ERR_PORT_EXISTS'
  | 'TSVS_ERR_NO_LADDR'
  | 'TSVS_ERR_LADDR_EXISTS'
  | 'TSVS_ERR_NO_ADDR'
  | 'TSVS_ERR_ADDR_EXISTS'
  | 'TSVS_ERR_NO_ROUTE'
  | 'TSVS_ERR_ROUTE_EXISTS'
  | 'TSVS_ERR_NO_NEIGH'
  | 'TSVS_ERR_UNSUPPORTED'
  | 'TSVS_ERR_SCHED'
  | 'TSVS_ERR_PCAP'
  | 'TSVS_ERR_NATIVE'
  | 'TSVS_ERR_CONFIG'
  | 'TSVS_ERR_TAKEOVER';

export class TsvsError extends Error {
  readonly code: TsvsErrorCode;
  constructor(code: TsvsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'TsvsError';
  }
}

/** A command line that could not be parsed or validated. */
export class SyntaxError_ extends TsvsError {
  constructor(message: string) {
    super('TSVS_ERR_SYNTAX', message);
    this.name = 'TsvsSyntaxError';
  }
}

/** An error found in a script of commands: carries the 1-based line number it came from. */
export class ScriptError extends TsvsError {
  readonly line: number;
  readonly source: string;
  constructor(line: number, source: string, cause: TsvsError) {
    super(cause.code, `line ${line}: ${cause.message}\n  ${source.trim()}`, { cause });
    this.line = line;
    this.source = source;
    this.name = 'TsvsScriptError';
  }
}
