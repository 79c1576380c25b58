import type { Event } from './event.js';
import { SinkClosedError } from './errors.js';
import type { Sink } from './sink.js';

/**
 * RecordingSink keeps every event written to it, in order, in memory; it is the
 * innermost sink of tests and examples, and it never fails on its own.
 */
export class RecordingSink implements Sink {
  /** Events written so far, in write order. */
  readonly events: Event[] = [];
  /** Arguments of each `write` call, one entry per call. */
  readonly writes: Event[][] = [];
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  async write(...events: Event[]): Promise<void> {
    if (this.#closed) throw new SinkClosedError('recording sink');
    this.writes.push(events);
    this.events.push(...events);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
