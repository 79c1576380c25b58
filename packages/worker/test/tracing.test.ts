import { context, trace, type Span, type SpanContext, type SpanOptions, type Tracer, type TracerProvider, type Context, type SpanStatus } from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';
import { withTraceparent } from '@herald/events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { event, Harness } from './worker-fixture.js';

/**
 * W3C trace context from the writer to the delivery POST, and one span per attempt,
 * seen through a minimal TracerProvider registered with @opentelemetry/api, as an
 * operator's SDK would be.
 */

interface Recorded {
  name: string;
  context: SpanContext;
  parent: SpanContext | undefined;
  attributes: Record<string, unknown>;
  status?: SpanStatus;
  ended: boolean;
}

class RecordingTracer implements Tracer {
  readonly spans: Recorded[] = [];

  startSpan(name: string, options: SpanOptions = {}, parentContext: Context = context.active()): Span {
    const parent = trace.getSpanContext(parentContext);
    const recorded: Recorded = {
      name,
      context: { traceId: parent?.traceId ?? randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: 1 },
      parent,
      attributes: { ...options.attributes },
      ended: false,
    };
    this.spans.push(recorded);
    const span: Span = {
      spanContext: () => recorded.context,
      setAttribute: (key, value) => ((recorded.attributes[key] = value), span),
      setAttributes: (attributes) => (Object.assign(recorded.attributes, attributes), span),
      addEvent: () => span,
      addLink: () => span,
      addLinks: () => span,
      setStatus: (status) => ((recorded.status = status), span),
      updateName: () => span,
      end: () => void (recorded.ended = true),
      isRecording: () => true,
      recordException: () => {},
    };
    return span;
  }

  startActiveSpan(): never {
    throw new Error('not used by Herald');
  }
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

let h: Harness;
let tracer: RecordingTracer;
beforeEach(() => {
  h = new Harness();
  tracer = new RecordingTracer();
  const provider: TracerProvider = { getTracer: () => tracer };
  trace.setGlobalTracerProvider(provider);
});
afterEach(async () => {
  trace.disable();
  await h.close();
});

describe('trace context', () => {
  it("carries the writer's traceparent to the POST, as the parent of one span per attempt", async () => {
    const hook = await h.receiver('traced');
    hook.reply = (_delivery, attempt) => (attempt === 1 ? { status: 503 } : { status: 200 });
    h.configure([{ name: 'traced', backoff: '100ms' }]);
    await h.startWorker();
    const e = event();
    await withTraceparent(PARENT, () => h.producer.write(e));
    await hook.until(() => hook.delivered.includes(e.id));
    // The receiver counts a delivery when it answers; the worker ends the span once the
    // answer reaches it, a moment later.
    const deliverSpans = () => tracer.spans.filter((span) => span.name === 'herald.deliver');
    await hook.until(() => deliverSpans().length === 2 && deliverSpans().every((span) => span.ended), 5000);

    const attempts = deliverSpans();
    expect(attempts).toHaveLength(2);
    for (const span of attempts) {
      expect(span.parent).toMatchObject({ traceId: TRACE_ID, spanId: '00f067aa0ba902b7' });
      expect(span.context.traceId).toBe(TRACE_ID);
      expect(span.ended).toBe(true);
      expect(span.attributes).toMatchObject({ 'herald.endpoint': 'traced', 'herald.deliveries': 1, 'herald.events': 1 });
    }
    expect(attempts[0]!.status).toMatchObject({ code: 2, message: expect.stringContaining('answered 503') });
    expect(attempts[1]!.attributes['herald.delivered']).toBe(1);
    // Each POST carried its own attempt's span as the parent for the receiver.
    expect(hook.deliveries.map((d) => d.headers['traceparent'])).toStrictEqual(attempts.map((span) => `00-${TRACE_ID}-${span.context.spanId}-01`));
  });

  it('starts a trace of its own for events written without one', async () => {
    const hook = await h.receiver('plain');
    h.configure([{ name: 'plain' }]);
    await h.startWorker();
    const e = event();
    await h.producer.write(e);
    await hook.until(() => hook.delivered.includes(e.id));
    const [span] = tracer.spans.filter((recorded) => recorded.name === 'herald.deliver');
    expect(span!.parent).toBeUndefined();
    expect(hook.deliveries[0]!.headers['traceparent']).toBe(`00-${span!.context.traceId}-${span!.context.spanId}-01`);
  });

  it('without an SDK, passes the writer\'s traceparent on unchanged, and sends none when there was none', async () => {
    trace.disable();
    const hook = await h.receiver('bare');
    h.configure([{ name: 'bare' }]);
    await h.startWorker();
    const [traced, plain] = [event(), event()];
    await withTraceparent(PARENT, () => h.producer.write(traced));
    await h.producer.write(plain);
    await hook.until(() => hook.delivered.includes(traced.id) && hook.delivered.includes(plain.id));
    const header = (id: string) => hook.deliveries.find((d) => d.eventIds.includes(id))!.headers['traceparent'];
    expect([header(traced.id), header(plain.id)]).toStrictEqual([PARENT, undefined]);
    expect(tracer.spans).toStrictEqual([]);
  });
});
