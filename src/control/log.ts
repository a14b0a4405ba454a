// Structured logs of the control plane: one JSON object per line on stderr. Never called from
// the data plane; workers report through messages and the main thread logs.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  readonly level: LogLevel;
  readonly event: string;
  readonly [field: string]: unknown;
}

export type Logger = (rec: LogRecord) => void;

/** Writes `{"time":..., "level":..., "event":..., ...}` lines to stderr. */
export const stderrLogger: Logger = (rec) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...rec }) + '\n');
};
