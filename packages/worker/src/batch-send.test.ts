import { describe, expect, it } from 'vitest';
import { SinkClosedError, type Event, type Sink } from '@herald/events';
import { sendBatch, type BatchItem } from './batch-send.js';
import { EndpointRequestError, EndpointResponseError } from './endpoint-errors.js';

function ev(id: string, padding = 0): Event {
  return { id, timestamp: '2026-12-02T00:00:00Z', action: 'push', target: { repository: 'r', tag: 'x'.repeat(padding) } } as Event;
}

/** A sink that records each request's event ids and answers as `answer` says (throw = refuse). */
class ScriptedSink implements Sink {
  readonly requests: string[][] = [];
  constructor(readonly answer: (ids: string[]) => void) {}
  async write(...events: Event[]): Promise<void> {
    const ids = events.map((e) => e.id);
    this.requests.push(ids);
    this.answer(ids);
  }
  async close(): Promise<void> {}
}

const batchOf = (ids: string[], padding = 0): BatchItem<string>[] => ids.map((id) => ({ item: id, events: [ev(id, padding)] }));
const ids = (count: number) => Array.from({ length: count }, (_, n) => `e${n}`);
const refuse = (status: number) => new EndpointResponseError('hook', status);
const wide = { maxBytes: 1 << 20, ordered: false };

describe('sendBatch', () => {
  it('sends the whole batch in one request, in order, when the endpoint takes it', async () => {
    const sink = new ScriptedSink(() => {});
    const outcome = await sendBatch(sink, batchOf(ids(8)), wide);
    expect(sink.requests).toStrictEqual([ids(8)]);
    expect(outcome).toStrictEqual({ delivered: ids(8), failed: [], unsent: [], splits: 0 });
  });

  it('halves a refused batch until the poison event is alone, delivering the rest', async () => {
    const sink = new ScriptedSink((sent) => {
      if (sent.includes('e5')) throw refuse(422);
    });
    const splits: number[] = [];
    const outcome = await sendBatch(sink, batchOf(ids(8)), { ...wide, onSplit: (events) => splits.push(events) });
    expect(sink.requests).toStrictEqual([ids(8), ids(8).slice(0, 4), ids(8).slice(4), ['e4', 'e5'], ['e4'], ['e5'], ['e6', 'e7']]);
    expect(outcome.delivered).toStrictEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e6', 'e7']);
    expect(outcome.failed).toStrictEqual([{ item: 'e5', error: refuse(422) }]);
    expect(outcome.splits).toBe(3);
    expect(splits).toStrictEqual([8, 4, 2]);
  });

  it('sends nothing more after an endpoint-wide failure, failing the rest with it', async () => {
    for (const failure of [refuse(503), refuse(429), refuse(408), refuse(302), new EndpointRequestError('hook', 'timeout')]) {
      const sink = new ScriptedSink((sent) => {
        if (sent.length <= 3) throw failure;
      });
      // 3 events a request: the first request fails and the second is never sent.
      const maxBytes = '{"events":[]}'.length + 3 * (Buffer.byteLength(JSON.stringify(ev('e0', 100))) + 1);
      const outcome = await sendBatch(sink, batchOf(ids(6), 100), { ...wide, maxBytes });
      expect(sink.requests).toStrictEqual([ids(3)]);
      expect(outcome.delivered).toStrictEqual([]);
      expect(outcome.failed.map((f) => [f.item, f.error])).toStrictEqual(ids(6).map((id) => [id, failure]));
      expect(outcome.splits).toBe(0);
    }
  });

  it('does not split a batch refused for reasons about the endpoint (401, 403, 404, 405, 410)', async () => {
    for (const status of [401, 403, 404, 405, 410]) {
      const sink = new ScriptedSink(() => {
        throw refuse(status);
      });
      const outcome = await sendBatch(sink, batchOf(ids(8)), wide);
      expect(sink.requests).toStrictEqual([ids(8)]);
      expect(outcome.failed.map((f) => f.item)).toStrictEqual(ids(8));
      expect(outcome.splits).toBe(0);
    }
  });

  it('does not split on an error that is no answer, such as a closed sink', async () => {
    const sink = new ScriptedSink(() => {
      throw new SinkClosedError('test');
    });
    const outcome = await sendBatch(sink, batchOf(ids(4)), wide);
    expect(sink.requests).toHaveLength(1);
    expect(outcome.failed.map((f) => f.item)).toStrictEqual(ids(4));
  });

  it('keeps each request within maxBytes, and sends an event larger than that alone', async () => {
    const sink = new ScriptedSink(() => {});
    const batch = [...batchOf(ids(5), 300), { item: 'big', events: [ev('big', 5000)] }, ...batchOf(['z1', 'z2'], 300)];
    const outcome = await sendBatch(sink, batch, { ...wide, maxBytes: 1024 });
    for (const request of sink.requests) {
      const body = JSON.stringify({ events: request.map((id) => batch.find((b) => b.item === id)!.events[0]) });
      if (!request.includes('big')) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024);
    }
    expect(sink.requests).toStrictEqual([['e0', 'e1'], ['e2', 'e3'], ['e4'], ['big'], ['z1', 'z2']]);
    expect(outcome.delivered).toStrictEqual([...ids(5), 'big', 'z1', 'z2']);
  });

  it('on an ordered endpoint, delivers up to the poison event and sends nothing after it', async () => {
    const sink = new ScriptedSink((sent) => {
      if (sent.includes('e5')) throw refuse(400);
    });
    const outcome = await sendBatch(sink, batchOf(ids(8)), { ...wide, ordered: true });
    expect(outcome.delivered).toStrictEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(outcome.failed.map((f) => f.item)).toStrictEqual(['e5']);
    expect(outcome.unsent).toStrictEqual(['e6', 'e7']);
    // e6 and e7 went out only inside requests that were refused whole.
    expect(sink.requests).toStrictEqual([ids(8), ids(4), ids(8).slice(4), ['e4', 'e5'], ['e4'], ['e5']]);
  });
});
