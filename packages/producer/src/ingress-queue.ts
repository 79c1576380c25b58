import type { Event } from '@herald/events';
import { storedQueueName } from './queue-layout.js';
import { idListDigest } from './id-digest.js';

/**
 * Name of the queue producers and ingest write whole envelopes to when no worker has
 * published routes yet (and where Herald 0.1 wrote every envelope); the workers' fan-out
 * drains it into the endpoint queues.
 */
export const INGRESS_QUEUE = 'events';

/** The ingress queue's name; with `slotPerQueue` (a Redis Cluster) a hash tag, as endpointQueueName's. */
export function ingressQueueName(slotPerQueue = false): string {
  return storedQueueName(INGRESS_QUEUE, slotPerQueue);
}

/** Name of each ingress job; its data is one Envelope. */
export const ENVELOPE_JOB = 'envelope';

/**
 * How long an envelope is remembered, in ms: writing the same events again within this
 * window enqueues nothing — a write repeated after a timeout, or a registry re-POSTing
 * to ingest because our answer was slow. Only a small key per envelope is kept for it
 * (BullMQ deduplication with a TTL); completed jobs themselves are trimmed.
 */
export const INGRESS_DEDUPE_WINDOW_MS = 10 * 60_000;

/** Attempts BullMQ allows a job: Herald stops retrying by age (`maxage`), not by count. */
export const UNLIMITED_ATTEMPTS = 1_000_000_000;

/** Herald's BullMQ backoff type; each worker's backoffStrategy computes the delay. */
export const HERALD_BACKOFF = 'herald';

/**
 * What Herald's workers keep of finished jobs: the last 1,000 completed per queue; failed
 * ones are all kept (BullMQ's default), for replay. Set on the workers, not on each job:
 * every job stores its options, and a pending delivery should be small.
 */
export const KEEP_FINISHED_JOBS = { removeOnComplete: { count: 1000 } };

/**
 * What a delivery worker keeps of completed deliveries: those finished within `historyMs`
 * (`worker.history`: `herald trace` and `herald replay --since` read them), at most
 * `limit` of them (`worker.historyLimit`); with 0, KEEP_FINISHED_JOBS. Failed ones are
 * all kept either way.
 */
export function keepDeliveredJobs(historyMs: number, limit: number) {
  return historyMs > 0 ? { removeOnComplete: { age: Math.ceil(historyMs / 1000), count: limit } } : KEEP_FINISHED_JOBS;
}

/**
 * Options of every Herald job but its id: the same `dedupeId` adds nothing for
 * `dedupeWindowMs`, retried on Herald's schedule until it succeeds or its age runs out.
 * What is kept once it finishes is the worker's (KEEP_FINISHED_JOBS).
 */
export function heraldJobOptions(dedupeId: string, dedupeWindowMs: number) {
  return {
    deduplication: { id: dedupeId, ttl: dedupeWindowMs },
    attempts: UNLIMITED_ATTEMPTS,
    backoff: { type: HERALD_BACKOFF },
    // BullMQ appends each failed attempt's stack to the job; a dead endpoint retried
    // for days would grow Redis by ~450 bytes per attempt per pending delivery.
    stackTraceLimit: 0,
  };
}

/** Options of each ingress job, its id included. */
export function ingressJobOptions(jobId: string) {
  return { jobId, ...heraldJobOptions(jobId, INGRESS_DEDUPE_WINDOW_MS) };
}

/**
 * The job id of an envelope: derived from its event ids, in order, so that writing
 * the same events again yields the same id and BullMQ adds nothing, and different ids
 * never do (idListDigest). 128 bits of SHA-256 in base64url, 22 characters: every
 * pending delivery stores it several times.
 */
export function envelopeJobId(events: readonly Pick<Event, 'id'>[]): string {
  return idListDigest(events.map((event) => event.id), 'terminated').subarray(0, 16).toString('base64url');
}
