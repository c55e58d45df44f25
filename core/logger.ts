import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';

export type { Logger, LogLevel, LogMetadata };

const ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/**
 * The least severe level `logger` writes, when it says so with a `level` field (as the official
 * `DefaultLogger` and our {@link ConsoleLogger} do); undefined when it does not.
 */
export function levelOf(logger: Logger): LogLevel | undefined {
  const level = (logger as { level?: unknown }).level;
  return typeof level === 'string' && level in ORDER ? (level as LogLevel) : undefined;
}

/** True when `logger` is known to drop lines at `level`, so building them can be skipped. */
export function dropsLevel(logger: Logger, level: LogLevel): boolean {
  const min = levelOf(logger);
  return min !== undefined && ORDER[level] < ORDER[min];
}

/**
 * A full {@link Logger} whose level methods all go through one `log` function. `level` states
 * the least severe level `log` writes (see {@link levelOf}), when known.
 */
export function loggerFrom(log: (level: LogLevel, message: string, meta?: LogMetadata) => void, level?: LogLevel): Logger {
  return {
    ...(level === undefined ? {} : { level }),
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

/**
 * A JSON-lines logger on stderr. The runtime takes any {@link Logger} (the `@temporalio/common`
 * interface, so a host can pass the one it already uses); this is only the default.
 */
export class ConsoleLogger implements Logger {
  constructor(
    private readonly minLevel: LogLevel = (process.env.TEMPORAL_WORKER_LOG_LEVEL as LogLevel | undefined) ?? 'WARN',
    private readonly base: LogMetadata = {},
  ) {}

  /** The least severe level written (see {@link levelOf}). */
  get level(): LogLevel {
    return this.minLevel;
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (ORDER[level] < ORDER[this.minLevel]) return;
    const line = { time: new Date().toISOString(), level, message, ...this.base, ...meta };
    process.stderr.write(JSON.stringify(line, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v)) + '\n');
  }

  /** A logger that adds `meta` to every line. */
  child(meta: LogMetadata): ConsoleLogger {
    return new ConsoleLogger(this.minLevel, { ...this.base, ...meta });
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
