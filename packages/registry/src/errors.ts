import { HeraldError } from '@herald/events';

/**
 * A repository operation succeeded but the listener did not take its notification:
 * for a Bridge, the sink's `write` rejected, so the event is not committed. The
 * operation is NOT undone. `cause` is the listener's error (`SinkClosedError` when the
 * sink was closed, which is terminal); `result` is what the operation returned, so a
 * registry may still answer the client, or fail the request so that the client retries.
 */
export class NotificationNotCommittedError extends HeraldError {
  override readonly name = 'NotificationNotCommittedError';
  readonly code = 'HERALD_ERR_NOTIFICATION_NOT_COMMITTED';
  /** The decorated method, such as `manifests.put`. */
  readonly operation: string;
  /** Name of the repository it ran on. */
  readonly repository: string;
  /** What the operation resolved to; non-enumerable, so logging the error does not dump it. */
  declare readonly result: unknown;

  constructor(operation: string, repository: string, result: unknown, cause: unknown) {
    super(`${operation} on ${repository} succeeded but its notification was not committed`, { cause });
    this.operation = operation;
    this.repository = repository;
    Object.defineProperty(this, 'result', { value: result, enumerable: false });
  }
}
