import type { Event } from './event.js';

/** What a registry POSTs: a block of events, `{ "events": [...] }`. */
export interface Envelope {
  events: Event[];
  readonly [field: string]: unknown;
}

/** Wraps events in an envelope, the way the HTTP sink sends them. */
export function envelopeOf(events: readonly Event[]): Envelope {
  return { events: [...events] };
}
