import { AsyncLocalStorage } from 'node:async_hooks';
import { context, isSpanContextValid, trace, type SpanContext } from '@opentelemetry/api';

/**
 * W3C trace context (`traceparent`) carried with events, from whoever accepted them (the
 * ingest request's header, or the producer's caller) to each delivery POST. Herald carries
 * it whether or not an OpenTelemetry SDK is installed; with one, the caller's active span
 * is the parent when no header was given, and each delivery attempt is a span.
 */

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZEROS_TRACE = '0'.repeat(32);
const ZEROS_SPAN = '0'.repeat(16);

/** A `traceparent` header value as a span context; undefined when it is not a valid version-00 one. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim().toLowerCase());
  if (match === null || match[1] === ZEROS_TRACE || match[2] === ZEROS_SPAN) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16), isRemote: true };
}

/** A span context as a `traceparent` header value; undefined when it is not valid. */
export function formatTraceparent(span: SpanContext | undefined): string | undefined {
  if (span === undefined || !isSpanContextValid(span)) return undefined;
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** What a write carries besides its events: its trace context, and who handed it to Herald. */
export interface WriteContext {
  /** W3C `traceparent`. */
  readonly traceparent?: string;
  /** Who handed Herald the events, e.g. `ingest token registry-eu` (kept with each delivery; `herald trace` shows it). */
  readonly source?: string;
}

const current = new AsyncLocalStorage<WriteContext>();

/** Runs `work` with `context` as the context of the events written inside it (merged over an outer one). */
export function withWriteContext<T>(context: WriteContext, work: () => T): T {
  const outer = current.getStore();
  const merged = { ...outer, ...Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined)) };
  return Object.keys(merged).length === 0 ? work() : current.run(merged, work);
}

/** Runs `work` with `traceparent` as the trace context of the events written inside it. */
export function withTraceparent<T>(traceparent: string | undefined, work: () => T): T {
  return withWriteContext({ traceparent }, work);
}

/** The trace context set by withTraceparent around the code running now, if any (never an SDK's). */
export function carriedTraceparent(): string | undefined {
  return current.getStore()?.traceparent;
}

/**
 * The context of the events being written now: the one set by withWriteContext, whose
 * trace context falls back to the active OpenTelemetry span's (only with an SDK installed).
 */
export function currentWriteContext(): WriteContext {
  const store = current.getStore();
  const traceparent = store?.traceparent ?? formatTraceparent(trace.getSpanContext(context.active()));
  return { traceparent, source: store?.source };
}
