import { HeraldError } from '@herald/events';

/**
 * Redis did not acknowledge an enqueue in time, or cannot be reached. Nothing is
 * known to be committed; the caller may retry the same events (job ids are
 * deterministic, so a write that did land is not enqueued twice).
 */
export class ProducerUnavailableError extends HeraldError {
  override readonly name: string = 'ProducerUnavailableError';
  readonly code = 'HERALD_ERR_PRODUCER_UNAVAILABLE';
  /** Where the producer tried to connect, without credentials: `redis://127.0.0.1:6379`. */
  readonly where: string;

  constructor(where: string, reason: string, options?: { cause?: unknown }) {
    super(`redis at ${where} ${reason}`, options);
    this.where = where;
  }
}

/**
 * A pending delivery's events cannot be decoded: written by a newer Herald (unknown codec
 * version) or damaged. Retrying cannot help; the delivery stays in the failed set.
 */
export class EventCodecError extends HeraldError {
  override readonly name = 'EventCodecError';
  readonly code = 'HERALD_ERR_EVENT_CODEC';
}

/**
 * `redis.durability: replicated`: Redis took the envelope, but no replica confirmed it in
 * time (Redis `WAIT`), so a failover now could lose it. The write is not acknowledged;
 * retrying the same events is safe and adds nothing twice. A ProducerUnavailableError, so
 * callers that retry on one retry on this too.
 */
export class NotReplicatedError extends ProducerUnavailableError {
  override readonly name = 'NotReplicatedError';
}
