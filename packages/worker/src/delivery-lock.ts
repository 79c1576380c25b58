import type { EndpointConfig } from '@herald/config';

/** The shortest delivery lock: renewed every half of it, it must ride out a busy event loop. */
export const MIN_DELIVERY_LOCK_MS = 5000;

/**
 * How long a delivery's lock lasts, in ms: `configured` (`worker.lockDurationMs`) when set,
 * else the longer of 5 s and the endpoint's timeout. A live worker renews the lock every
 * half of it, however long the attempt takes; a killed worker's lock expires, and a
 * stalled-job check, which every worker runs twice per lock, hands the delivery to another
 * worker: within 1.5 locks, under the promised max(10 s, 2 × timeout).
 */
export function deliveryLockMs(endpoint: Pick<EndpointConfig, 'timeoutMs'>, configured = 0): number {
  return configured > 0 ? configured : Math.max(MIN_DELIVERY_LOCK_MS, endpoint.timeoutMs);
}

/** The lock of a fan-out job (`worker.lockDurationMs` when set): a fan-out is a few Redis writes. */
export function fanOutLockMs(configured = 0): number {
  return configured > 0 ? configured : 2 * MIN_DELIVERY_LOCK_MS;
}
