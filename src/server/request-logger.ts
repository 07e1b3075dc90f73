/**
 * Per-request loggers made only when a request logs something. Fastify gives every request a child
 * of the server's pino logger (bound to its request id, at its route's level); making one costs a
 * few µs (pino serialises the bindings and, for a route with its own level, rebuilds every level
 * method), which the prediction routes paid on every request although at their `warn` level they
 * write nothing unless something goes wrong.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type LogArgs = [obj: unknown, msg?: string, ...args: unknown[]];

/** A request's logger: the level check first, the pino child made on the first line that passes it. */
class LazyChildLogger {
  /** The numeric level below which nothing is written (pino's `levelVal` of the child it stands for). */
  private readonly min: number;
  private made: Logger | null = null;

  constructor(
    private readonly parent: Logger,
    private readonly bindingsOf: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {
    this.min = options.level === undefined ? parent.levelVal : (parent.levels.values[options.level] ?? parent.levelVal);
  }

  /** The pino child this logger stands for (made on first use). */
  private get real(): Logger {
    this.made ??= this.parent.child(this.bindingsOf, this.options);
    return this.made;
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.made !== null ? this.made.isLevelEnabled(level) : (this.parent.levels.values[level] ?? Number.POSITIVE_INFINITY) >= this.min;
  }

  bindings(): Bindings {
    return this.real.bindings();
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.real.child(bindings, options);
  }

  trace(...args: LogArgs): void {
    if (this.made !== null || this.min <= 10) (this.real.trace as (...a: LogArgs) => void)(...args);
  }

  debug(...args: LogArgs): void {
    if (this.made !== null || this.min <= 20) (this.real.debug as (...a: LogArgs) => void)(...args);
  }

  info(...args: LogArgs): void {
    if (this.made !== null || this.min <= 30) (this.real.info as (...a: LogArgs) => void)(...args);
  }

  warn(...args: LogArgs): void {
    if (this.made !== null || this.min <= 40) (this.real.warn as (...a: LogArgs) => void)(...args);
  }

  error(...args: LogArgs): void {
    if (this.made !== null || this.min <= 50) (this.real.error as (...a: LogArgs) => void)(...args);
  }

  fatal(...args: LogArgs): void {
    if (this.made !== null || this.min <= 60) (this.real.fatal as (...a: LogArgs) => void)(...args);
  }

  silent(): void {}
}

/**
 * Fastify's `childLoggerFactory` for a server with a pino logger: each request's logger writes
 * exactly what the pino child would (same bindings, level and serializers), but the child is made
 * only when a line passes the level.
 */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
