import type { Event } from './event.js';
import { SinkClosedError } from './errors.js';
import type { Sink } from './sink.js';

/**
 * What an endpoint does not want. An event is dropped when its target media type
 * OR its action is listed; either list works on its own.
 */
export interface EventFilter {
  /** Target media types to drop (distribution's `ignore.mediatypes` plus `ignoredmediatypes`). @defaultValue [] */
  mediaTypes?: readonly string[];
  /** Actions to drop, e.g. `pull` (distribution's `ignore.actions`). @defaultValue [] */
  actions?: readonly string[];
}

/** Builds a predicate that says whether an endpoint with this filter wants an event. */
export function acceptsEvent(filter: EventFilter): (event: Event) => boolean {
  const mediaTypes = new Set(filter.mediaTypes ?? []);
  const actions = new Set(filter.actions ?? []);
  return (event) => {
    const mediaType = event.target?.mediaType;
    if (mediaType !== undefined && mediaTypes.has(mediaType)) return false;
    return !actions.has(event.action);
  };
}

/**
 * FilterSink drops the events its filter rejects and writes the rest to the inner
 * sink; it leaves delivery and retries to others. A write whose events are all
 * dropped resolves without touching the inner sink.
 *
 * Unlike distribution 2.8, `actions` applies even when no media type is ignored.
 */
export class FilterSink implements Sink {
  readonly #inner: Sink;
  readonly #accepts: (event: Event) => boolean;
  #closed = false;

  constructor(inner: Sink, filter: EventFilter) {
    this.#inner = inner;
    this.#accepts = acceptsEvent(filter);
  }

  async write(...events: Event[]): Promise<void> {
    if (this.#closed) throw new SinkClosedError('filter sink');
    const kept = events.filter(this.#accepts);
    if (kept.length > 0) await this.#inner.write(...kept);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#inner.close();
  }
}
