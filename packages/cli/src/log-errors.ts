import pino from 'pino';
import { HeraldError } from '@herald/events';

/**
 * pino's `err` serializer, minus the stack of Herald's own errors. A HeraldError is an
 * expected outcome (an endpoint answered 503, Redis is unreachable, a refused address)
 * whose message, code and fields say all an operator needs; its stack is noise in every
 * retry's log line. Any other error keeps its stack: it is a bug worth reporting.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (error instanceof HeraldError) dropStacks(serialized);
  return serialized;
}

/** Clears `stack` here and on nested errors a HeraldError carries as fields (an egress refusal). */
function dropStacks(serialized: unknown): void {
  if (typeof serialized !== 'object' || serialized === null) return;
  const record = serialized as Record<string, unknown>;
  record.stack = undefined;
  for (const value of Object.values(record)) {
    if (typeof value === 'object' && value !== null && 'type' in value && 'message' in value) dropStacks(value);
  }
}
