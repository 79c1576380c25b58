import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import { RedisServer } from '../../../test/helpers/redis-server.js';
import { createProducer, INGRESS_QUEUE, ProducerUnavailableError, type Producer } from '../src/index.js';

const TIMEOUT_MS = 1000;
const event = (id: string): Event => ({ id, timestamp: '2026-11-28T00:00:00Z', action: 'push', target: { repository: 'a/b' } });

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server.destroy();
});

async function queuedIds(): Promise<string[]> {
  const queue = new Queue(INGRESS_QUEUE, { connection: { url: server.url }, prefix: 'outage' });
  try {
    const jobs = await queue.getJobs(['waiting']);
    return jobs.flatMap((job) => (job.data as { events: Event[] }).events.map((e) => e.id)).sort();
  } finally {
    await queue.close();
  }
}

async function expectUnavailable(producer: Producer, id: string): Promise<number> {
  const started = performance.now();
  const error = await producer.write(event(id)).catch((caught: unknown) => caught);
  const elapsed = performance.now() - started;
  expect(error).toBeInstanceOf(ProducerUnavailableError);
  expect((error as ProducerUnavailableError).code).toBe('HERALD_ERR_PRODUCER_UNAVAILABLE');
  expect((error as ProducerUnavailableError).message).toContain(`redis at redis://127.0.0.1:${server.port}`);
  // The margin is scheduling on a busy 2-core CI machine, not part of the promise.
  expect(elapsed).toBeLessThan(TIMEOUT_MS + 600);
  return elapsed;
}

async function eventually(write: () => Promise<void>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof ProducerUnavailableError) || Date.now() > deadline) throw error;
    }
  }
}

describe('producer when Redis goes away', () => {
  it('rejects within timeoutMs while Redis is down and writes again once it is back, same instance', async () => {
    const producer = createProducer({ redis: server.url, prefix: 'outage', timeoutMs: TIMEOUT_MS });
    try {
      await producer.write(event('before'));
      await server.stop('SIGKILL');
      await expectUnavailable(producer, 'during-1');
      await expectUnavailable(producer, 'during-2');
      await server.restart();
      await eventually(() => producer.write(event('after')), 10_000);
      // The server kept nothing on disk: only what was written after the restart is there,
      // and none of the writes that were refused landed late.
      expect(await queuedIds()).toStrictEqual(['after']);
    } finally {
      await producer.close();
    }
  });

  it('rejects within timeoutMs when created while Redis is down, then writes once it starts', async () => {
    await server.stop('SIGKILL');
    const producer = createProducer({ redis: server.url, prefix: 'outage', timeoutMs: TIMEOUT_MS });
    try {
      await expect(producer.ready()).rejects.toBeInstanceOf(ProducerUnavailableError);
      await expectUnavailable(producer, 'refused-1');
      await expectUnavailable(producer, 'refused-2');
      await server.restart();
      await eventually(() => producer.write(event('accepted')), 10_000);
      await producer.ready();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await queuedIds()).toStrictEqual(['accepted']);
    } finally {
      await producer.close();
    }
  });

  it('closes promptly while Redis is down', async () => {
    await server.stop('SIGKILL');
    const producer = createProducer({ redis: server.url, prefix: 'outage', timeoutMs: TIMEOUT_MS });
    const failed = producer.write(event('x')).catch((caught: unknown) => caught);
    const started = performance.now();
    await producer.close();
    expect(await failed).toBeInstanceOf(ProducerUnavailableError);
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
    await server.restart();
  });
});
