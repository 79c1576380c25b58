/**
 * Coalescer gathers items submitted while flushes are in flight and flushes them
 * together in one call, so N concurrent submitters cost about one round trip
 * instead of N. A lone submitter is flushed at once: no timer, no added latency.
 */
export class Coalescer<T> {
  readonly #flush: (items: T[]) => Promise<void>;
  readonly #maxBatch: number;
  #pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #flushing = false;

  /**
   * @param flush - commits a batch; its outcome is every item's outcome.
   * @param maxBatch - most items in one flush.
   */
  constructor(flush: (items: T[]) => Promise<void>, maxBatch: number) {
    this.#flush = flush;
    this.#maxBatch = maxBatch;
  }

  /**
   * Resolves once the batch holding `item` is flushed; rejects with the flush's error.
   * When `signal` aborts, the promise rejects with its reason at once: an item whose
   * batch has not started is withdrawn and never flushed; one whose batch is in flight
   * may still be committed by it (the caller cannot know, so it must be safe to retry).
   */
  submit(item: T, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry = { item, resolve, reject };
      this.#pending.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const index = this.#pending.indexOf(entry);
          if (index >= 0) this.#pending.splice(index, 1);
          reject(signal.reason);
        },
        { once: true },
      );
      if (!this.#flushing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#flushing = true;
    // Let submitters of this tick join the first batch.
    await undefined;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch);
      try {
        await this.#flush(batch.map((entry) => entry.item));
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.#flushing = false;
  }
}
