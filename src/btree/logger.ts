/**
 * The host logger as the library uses it.
 *
 * @module
 */

/** Fields attached to a log line: who (tenant, node, version) and what. */
export type LogFields = Record<string, unknown>;

/**
 * A structured logger, `(message, fields)`. pino/winston loggers fit with a one-line adapter;
 * `console` fits as is. Only `info` and `warn` are required.
 */
export interface PluginLogger {
  debug?(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error?(message: string, fields?: LogFields): void;
}

/** Drops every line. */
export const silentLogger: PluginLogger = { info() {}, warn() {} };

/** @internal Logs at `level`, falling back to `warn` (for `error`) or nothing (for `debug`). */
export function logAt(logger: PluginLogger, level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: LogFields): void {
  if (level === 'debug') logger.debug?.(message, fields);
  else if (level === 'error') (logger.error ?? logger.warn).call(logger, message, fields);
  else logger[level](message, fields);
}
