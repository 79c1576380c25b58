/**
 * When to retry a failed delivery, and when to stop. Pure functions of the endpoint's
 * policy, the attempt number and the clock; the delivery worker applies them.
 *
 * The schedule keeps distribution's `threshold` and `backoff`: distribution retried at
 * once until `threshold` consecutive failures, then waited `backoff` before each try.
 * Herald never retries at once: the first `threshold` retries each wait `backoff`, and
 * from then on the wait doubles per retry up to `maxbackoff`. A jitter of up to 10% is
 * added, never subtracted, so no retry fires before its time.
 */

/** An endpoint's retry settings, in ms. */
export interface RetryPolicy {
  /** Delay of the first `threshold` retries. */
  readonly backoffMs: number;
  /** Retries spaced by `backoffMs` before doubling starts. */
  readonly threshold: number;
  /** Longest delay, also the most a `Retry-After` can ask for. */
  readonly maxBackoffMs: number;
  /** Give up when the next try would come later than this after acceptance; 0 = never. */
  readonly maxAgeMs: number;
}

/** Largest share of a delay added as jitter. */
export const JITTER = 0.1;

/** The delay before retry number `retry` (1 = the first retry), jitter included. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const doublings = Math.max(0, retry - policy.threshold);
  const base = Math.min(policy.backoffMs * 2 ** Math.min(doublings, 52), policy.maxBackoffMs);
  return Math.round(base + base * JITTER * random());
}

/**
 * The delay before the next try after a failed one: the server's `Retry-After` when it
 * sent one (clamped to `maxBackoffMs`), else the backoff schedule.
 */
export function retryDelay(policy: RetryPolicy, retry: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), policy.maxBackoffMs);
  return backoffDelay(policy, retry, random);
}

/** Whether to stop retrying: the next try would fall after `maxAgeMs` since the event was accepted. */
export function givesUp(policy: RetryPolicy, acceptedAtMs: number, nowMs: number, delayMs: number): boolean {
  return policy.maxAgeMs > 0 && nowMs + delayMs > acceptedAtMs + policy.maxAgeMs;
}
