import type { Event } from '@herald/events';

/**
 * What a delivery sink tells about each attempt, so metrics can count and time them
 * without the sink importing metrics. Every attempt ends in exactly one call:
 * `onSuccess` (2xx), `onFailure` (any other status) or `onError` (no usable response).
 * `durationMs` runs from the start of the attempt to the status line, or to the error.
 * Implementations must not throw; a throw is logged and otherwise ignored.
 */
export interface DeliveryListener {
  /** The endpoint answered 2xx: the events are delivered. */
  onSuccess(endpoint: string, events: readonly Event[], status: number, durationMs: number): void;
  /** The endpoint answered outside 2xx (3xx included): not delivered. */
  onFailure(endpoint: string, events: readonly Event[], status: number, durationMs: number): void;
  /** No usable response: timeout, connection, TLS or protocol error. */
  onError(endpoint: string, events: readonly Event[], error: Error, durationMs: number): void;
}

/** A listener that ignores everything; the default, and a base to spread a partial listener over. */
export const noopDeliveryListener: DeliveryListener = Object.freeze({
  onSuccess() {},
  onFailure() {},
  onError() {},
});

/** One listener that tells each of `listeners` in turn: counters in Redis and Prometheus metrics, say. */
export function combineListeners(...listeners: DeliveryListener[]): DeliveryListener {
  return {
    onSuccess: (...args) => listeners.forEach((listener) => listener.onSuccess(...args)),
    onFailure: (...args) => listeners.forEach((listener) => listener.onFailure(...args)),
    onError: (...args) => listeners.forEach((listener) => listener.onError(...args)),
  };
}
