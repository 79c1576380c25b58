import type { Event } from '@herald/events';
import { decodeSizedEvents, encodeEvents } from './event-codec.js';
import { heraldJobOptions } from './ingress-queue.js';
import { storedQueueName } from './queue-layout.js';

/**
 * Each endpoint has its own BullMQ queue, so a dead endpoint backs up only its own.
 * The queue name is derived from the endpoint name, escaped so that any name is safe
 * in a Redis key and a job id (braces included). With `slotPerQueue` (a Redis Cluster,
 * queue-layout.ts) the name is a hash tag, `{endpoint.<name>}`: every key of the queue
 * shares one hash slot, and each queue has a slot of its own.
 */
export function endpointQueueName(endpoint: string, slotPerQueue = false): string {
  return storedQueueName(`endpoint.${encodeURIComponent(endpoint)}`, slotPerQueue);
}

/** Name of each delivery job. */
export const DELIVERY_JOB = 'delivery';

/**
 * What a delivery job holds: the events that passed the endpoint's filter. Releases
 * from 0.2 on write `z` (encodeEvents); 0.1 wrote `events` as JSON with `acceptedAt`.
 * Both are read.
 */
export interface DeliveryJobData {
  /** The events, encoded by encodeEvents. */
  readonly z?: string;
  /** The events as plain JSON (written by Herald 0.1). */
  readonly events?: Event[];
  /**
   * When the events were accepted, in ms since the epoch, when that is not the job's own
   * timestamp: fanned out from the ingress queue, or replayed. `maxage` counts from here.
   */
  readonly acceptedAt?: number;
  /** W3C `traceparent` of whoever handed Herald the events, when there was one: each delivery POST carries it on. */
  readonly tp?: string;
  /** Who handed Herald the events, when said (e.g. `ingest token registry-eu`): `herald trace` shows it. */
  readonly src?: string;
}

/** The data of a new delivery job of these events; `acceptedAt` only when it is not now, `tp` only when traced. */
export function deliveryJobData(encodedEvents: string, acceptedAt?: number, traceparent?: string, source?: string): DeliveryJobData {
  return {
    z: encodedEvents,
    ...(acceptedAt === undefined ? {} : { acceptedAt }),
    ...(traceparent === undefined ? {} : { tp: traceparent }),
    ...(source === undefined ? {} : { src: source }),
  };
}

/**
 * For each target whose filter keeps at least one of the envelope's events, those events
 * encoded for its delivery job; the whole envelope is encoded once, however many targets
 * keep all of it. Targets that keep nothing are left out.
 */
export function deliveriesOf<T extends { readonly accepts: (event: Event) => boolean }>(events: readonly Event[], targets: readonly T[]): { target: T; encoded: string }[] {
  let whole: string | undefined;
  const deliveries: { target: T; encoded: string }[] = [];
  for (const target of targets) {
    const kept = events.filter(target.accepts);
    if (kept.length === 0) continue;
    deliveries.push({ target, encoded: kept.length === events.length ? (whole ??= encodeEvents(events)) : encodeEvents(kept) });
  }
  return deliveries;
}

/** The events of a delivery job, whichever release wrote it. Throws EventCodecError on damaged data. */
export function deliveryEvents(data: DeliveryJobData): Event[] {
  return sizedDeliveryEvents(data).events;
}

/**
 * The events of a delivery job with their size as a JSON array, in bytes (known from the
 * decoding, so a batch is sized without serialising it twice). Throws EventCodecError on damaged data.
 */
export function sizedDeliveryEvents(data: DeliveryJobData): { events: Event[]; jsonBytes: number } {
  if (data.z !== undefined) return decodeSizedEvents(data.z);
  const events = data.events ?? [];
  return { events, jsonBytes: Buffer.byteLength(JSON.stringify(events)) };
}

/** When a delivery's events were accepted, in ms since the epoch: `maxage` counts from here. */
export function acceptedAtOf(job: { readonly data: DeliveryJobData; readonly timestamp: number }): number {
  return job.data.acceptedAt ?? job.timestamp;
}

/**
 * How long a delivery is remembered, in ms: the same events written again within this
 * window (a write repeated after a timeout, a registry re-POSTing, a fan-out re-run after
 * a crash) add no second delivery. It far outlives the stall window (the worker lock,
 * 30 s by default).
 */
export const DELIVERY_DEDUPE_WINDOW_MS = 10 * 60_000;

/**
 * Options of each delivery job, whose id is the envelope's (each endpoint has its own
 * queue, so ids need not differ between endpoints). The id itself is not among them:
 * every job stores its options, so Router gives BullMQ the id apart (`new Job(..., id)`);
 * `Queue.add` needs `{ ...deliveryJobOptions(id), jobId: id }`.
 */
export function deliveryJobOptions(envelopeId: string) {
  return heraldJobOptions(envelopeId, DELIVERY_DEDUPE_WINDOW_MS);
}

/**
 * The `hash-max-listpack-value` Herald recommends for its Redis, in bytes. At Redis's
 * default (64) a delivery job, whose compressed events are a few hundred bytes, is kept in
 * Redis's large hash encoding; at 1024 every field fits and the job takes about half the
 * memory (docs/performance.md). Redis's own docs: larger values trade a little CPU on big
 * hashes for memory; Herald's hashes have a dozen fields.
 */
export const RECOMMENDED_HASH_MAX_LISTPACK_VALUE = 1024;
