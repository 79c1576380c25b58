import type { Event } from './event.js';

/**
 * A Sink accepts events for delivery; it is the seam of the whole system, as in
 * distribution's `notifications` package. Producer, filters, HTTP delivery and
 * test sinks implement it and compose as decorators.
 *
 * The contract:
 * - `write` resolving means the events are committed: durable, or delivered,
 *   as the sink defines it. A resolved write is never lost.
 * - `write` rejecting means nothing was committed; the caller may retry the same
 *   events. Sinks that commit keep it idempotent by event id.
 * - After `close()`, `write` rejects with `SinkClosedError`, which is terminal.
 * - `close()` is idempotent, waits for writes in flight, and closes the inner sink.
 */
export interface Sink {
  write(...events: Event[]): Promise<void>;
  close(): Promise<void>;
}
