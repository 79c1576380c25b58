import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeValidationError, SinkClosedError, validateEnvelope, type Event } from '@herald/events';
import { deleteKeys, REDIS_URL, testPrefix } from '../../../test/helpers/redis-keys.js';
import { createProducer, envelopeJobId, INGRESS_QUEUE, type Producer } from '../src/index.js';

function event(id: string, extra: Partial<Event> = {}): Event {
  return {
    id,
    timestamp: '2026-11-28T02:15:00.146778322Z',
    action: 'push',
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 401, digest: 'sha256:812b', repository: 'demo/hello', tag: 'v1' },
    request: { id: `r-${id}`, addr: '127.0.0.1:5000', host: 'registry', method: 'PUT', useragent: 'test' },
    actor: {},
    ...extra,
  };
}

let prefix: string;
let queue: Queue;
let producer: Producer;

beforeEach(() => {
  prefix = testPrefix();
  queue = new Queue(INGRESS_QUEUE, { connection: { url: REDIS_URL }, prefix });
  producer = createProducer({ redis: REDIS_URL, prefix, source: { addr: 'node-1:5000', instanceID: 'instance-1' } });
});

afterEach(async () => {
  await producer.close();
  await queue.close();
  await deleteKeys(REDIS_URL, prefix);
});

async function queuedEnvelopes(): Promise<{ id: string; events: Event[] }[]> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
  return jobs.map((job) => ({ id: job.id!, events: (job.data as { events: Event[] }).events }));
}

describe('producer', () => {
  it('enqueues 10,000 events as envelopes that validate, each exactly once', async () => {
    const ids = Array.from({ length: 10_000 }, (_, n) => `ev-${n}`);
    // 50 concurrent writers; every tenth write carries three events.
    const writers = Array.from({ length: 50 }, async (_, writer) => {
      const mine = ids.filter((_, n) => n % 50 === writer);
      for (let n = 0; n < mine.length; ) {
        const size = n % 10 === 0 ? 3 : 1;
        await producer.write(...mine.slice(n, n + size).map((id) => event(id)));
        n += size;
      }
    });
    await Promise.all(writers);
    const envelopes = await queuedEnvelopes();
    const queued = envelopes.flatMap((envelope) => envelope.events.map((e) => e.id));
    expect(queued).toHaveLength(10_000);
    expect(new Set(queued)).toStrictEqual(new Set(ids));
    for (const envelope of envelopes) {
      expect(validateEnvelope({ events: envelope.events })).toStrictEqual([]);
      expect(envelope.id).toBe(envelopeJobId(envelope.events));
    }
    expect(await queue.getWaitingCount()).toBe(envelopes.length);
    // 10,000 writes to a real Redis: about a second alone, several on a busy shared machine.
  }, 60_000);

  it('enqueues the same events written twice as one job', async () => {
    await producer.write(event('a'), event('b'));
    await producer.write(event('a'), event('b'));
    await Promise.all([producer.write(event('c')), producer.write(event('c')), producer.write(event('c'))]);
    const envelopes = await queuedEnvelopes();
    expect(envelopes.map((e) => e.events.map((x) => x.id)).sort()).toStrictEqual([['a', 'b'], ['c']]);
  });

  it('fills source into events that lack it and keeps the ones that have it', async () => {
    await producer.write(event('no-source'), event('own-source', { source: { addr: 'other:1', instanceID: 'x' } }));
    const [envelope] = await queuedEnvelopes();
    expect(envelope?.events.map((e) => e.source)).toStrictEqual([
      { addr: 'node-1:5000', instanceID: 'instance-1' },
      { addr: 'other:1', instanceID: 'x' },
    ]);
  });

  it('keeps events exactly as written, unknown fields included', async () => {
    const gitlab = event('gl', { action: 'rename', meta: { project_id: 42 }, actor: { name: 'a', user_type: 'internal' } });
    await producer.write(gitlab);
    const [envelope] = await queuedEnvelopes();
    expect(envelope?.events).toStrictEqual([{ ...gitlab, source: { addr: 'node-1:5000', instanceID: 'instance-1' } }]);
  });

  it('rejects a write with an invalid event and enqueues none of it', async () => {
    const bad = { ...event('bad'), timestamp: 'yesterday' } as Event;
    const error = await producer.write(event('good'), bad).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvelopeValidationError);
    expect((error as EnvelopeValidationError).problems).toStrictEqual([
      { path: 'events[1].timestamp', reason: 'must be an RFC 3339 timestamp such as 2006-01-02T15:04:05.999999999Z' },
    ]);
    await expect(producer.write()).rejects.toMatchObject({ problems: [{ path: 'events', reason: 'must contain at least one event' }] });
    expect(await queuedEnvelopes()).toStrictEqual([]);
  });

  it('waits for writes in flight on close, then rejects writes with SinkClosedError', async () => {
    const writes = Array.from({ length: 20 }, (_, n) => producer.write(event(`w-${n}`)));
    await producer.close();
    await expect(Promise.all(writes)).resolves.toHaveLength(20);
    expect(await queuedEnvelopes()).toHaveLength(20);
    const error = await producer.write(event('late')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SinkClosedError);
    expect(error).toMatchObject({ code: 'HERALD_ERR_SINK_CLOSED' });
    await producer.close();
  });

  it('is ready when Redis is', async () => {
    await expect(producer.ready()).resolves.toBeUndefined();
  });
});
