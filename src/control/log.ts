// Structured logs of the control plane: one JSON object per line on stderr. Never called from
// the data plane; workers report through messages and the main thread logs.

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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

/**
 * Drops records below `min`. Levels: debug (each API read), info (lifecycle and each change),
 * warn (a refused request, a recoverable fault), error (a worker died, an internal error).
 */
export function levelFilter(min: LogLevel, out: Logger): Logger {
  const floor = LOG_LEVELS.indexOf(min);
  return (rec) => {
    if (LOG_LEVELS.indexOf(rec.level) >= floor) out(rec);
  };
}
