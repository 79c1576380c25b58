import { createHash } from 'node:crypto';
import type { Event } from '@herald/events';
import { heraldJobOptions } from '@herald/producer';

/**
 * Each endpoint has its own BullMQ queue, so a dead endpoint backs up only its own.
 * The queue name is derived from the endpoint name, escaped so that any name is safe
 * in a Redis key and a job id.
 */
export function endpointQueueName(endpoint: string): string {
  return `endpoint.${encodeURIComponent(endpoint)}`;
}

/** Name of each delivery job. */
export const DELIVERY_JOB = 'delivery';

/** What a delivery job holds: the events that passed the endpoint's filter, and when Herald accepted them. */
export interface DeliveryJobData {
  readonly events: Event[];
  /** When the envelope was accepted (ingress job timestamp), in ms since the epoch; `maxage` counts from here. */
  readonly acceptedAt: number;
}

/**
 * How long a fan-out is remembered, in ms. A fan-out re-run within this window (after a
 * worker crash, the ingress job stalls and runs again) adds no delivery twice. It must
 * outlive the stall window: the worker lock (30s by default) plus a stall check.
 */
export const FAN_OUT_DEDUPE_WINDOW_MS = 10 * 60_000;

/** The delivery job id of an envelope for an endpoint: the same on every fan-out re-run. */
export function deliveryJobId(envelopeJobId: string, endpoint: string): string {
  const tag = createHash('sha256').update(endpoint).digest('hex').slice(0, 12);
  return `${envelopeJobId}-${tag}`;
}

/** Options of each delivery job. Completed jobs are trimmed; failed ones are kept for replay. */
export function deliveryJobOptions(jobId: string) {
  return heraldJobOptions(jobId, FAN_OUT_DEDUPE_WINDOW_MS);
}
