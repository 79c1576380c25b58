import pino, { type Logger } from 'pino';
import type { LogLevel } from '@herald/config';
import { serializeError } from './log-errors.js';

/** Seatbelt: paths of secrets redacted if a secret ever reaches a log object. One level deep, as pino matches. */
export const REDACT_PATHS = ['*.headers.*', '*.secret', '*.secrets', '*.password', '*.token', '*.authorization', 'headers.*'];

/**
 * The one root logger of a process: JSON lines on stdout for operators to grep, or
 * pino-pretty when stdout is a terminal. Libraries get children of it.
 */
export function createRootLogger(level: LogLevel, options: { pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && options.destination === undefined);
  const base = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid }, serializers: { err: serializeError } };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return options.destination === undefined ? pino(base) : pino(base, options.destination);
}
