import { createHash } from 'node:crypto';
import type { Event } from '@herald/events';

/** Name of the queue every producer and ingest writes envelopes to; fan-out consumes it. */
export const INGRESS_QUEUE = 'events';

/** Name of each ingress job; its data is one Envelope. */
export const ENVELOPE_JOB = 'envelope';

/**
 * How long a completed ingress job is kept, in seconds. While it exists, writing the
 * same events again enqueues nothing: this is the window in which a write repeated
 * after a timeout, or a registry re-POSTing to ingest, is deduplicated.
 */
export const INGRESS_DEDUPE_WINDOW_S = 3600;

/**
 * The job id of an envelope: derived from its event ids, in order, so that writing
 * the same events again yields the same id and BullMQ adds nothing.
 */
export function envelopeJobId(events: readonly Pick<Event, 'id'>[]): string {
  const hash = createHash('sha256');
  for (const event of events) hash.update(event.id).update('\n');
  // A letter first: BullMQ reserves all-digit ids for its own counter.
  return `e${hash.digest('hex').slice(0, 32)}`;
}
