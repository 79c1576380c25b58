import { HeraldError } from '@herald/events';

/**
 * A delivery attempt failed and will be retried after `delayMs`. The delivery worker
 * throws it so that BullMQ's backoff strategy can read the delay the retry policy chose.
 */
export class DeliveryRetryError extends HeraldError {
  override readonly name = 'DeliveryRetryError';
  readonly code = 'HERALD_ERR_DELIVERY_RETRY';
  readonly delayMs: number;

  constructor(endpoint: string, delayMs: number, cause: unknown) {
    super(`delivery to ${endpoint} failed, retrying in ${delayMs}ms: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.delayMs = delayMs;
  }
}

/**
 * A delivery is given up: its next retry would come after the endpoint's `maxage`.
 * The job stays in the endpoint's failed set, where `herald replay` re-drives it.
 */
export class DeliveryExpiredError extends HeraldError {
  override readonly name = 'DeliveryExpiredError';
  readonly code = 'HERALD_ERR_DELIVERY_EXPIRED';

  constructor(endpoint: string, maxAgeMs: number, cause: unknown) {
    super(`delivery to ${endpoint} given up after maxage ${maxAgeMs}ms: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}
