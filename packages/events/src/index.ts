export { ACTIONS } from './event.js';
export type {
  Action,
  ActorRecord,
  Descriptor,
  Event,
  Extensible,
  Platform,
  RequestRecord,
  SourceRecord,
  Target,
} from './event.js';
export { envelopeOf } from './envelope.js';
export type { Envelope } from './envelope.js';
export { EVENTS_MEDIA_TYPE_V1, EVENTS_MEDIA_TYPE_V2, isEventsMediaType } from './media-type.js';
export type { EventsMediaType } from './media-type.js';
export { EnvelopeValidationError, HeraldError, SinkClosedError } from './errors.js';
export type { ValidationProblem } from './errors.js';
export {
  MAX_EVENT_DEPTH,
  MAX_LISTED_PROBLEMS,
  parseEnvelope,
  parseEvents,
  validateEnvelope,
  validateEvents,
} from './validate-envelope.js';
export type { Sink } from './sink.js';
export { acceptsEvent, FilterSink } from './filter-sink.js';
export type { EventFilter } from './filter-sink.js';
export { RecordingSink } from './recording-sink.js';
export { carriedTraceparent, currentWriteContext, formatTraceparent, parseTraceparent, withTraceparent, withWriteContext } from './trace-context.js';
export type { WriteContext } from './trace-context.js';
