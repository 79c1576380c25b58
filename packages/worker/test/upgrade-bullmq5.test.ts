import { Queue as QueueV5, Worker as WorkerV5 } from 'bullmq-v5';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Event } from '@herald/events';
import {
  DELIVERY_JOB,
  deliveryJobData,
  deliveryJobOptions,
  encodeEvents,
  endpointQueueName,
  ENVELOPE_JOB,
  envelopeJobId,
  INGRESS_QUEUE,
  ingressJobOptions,
} from '@herald/producer';
import { resumeEndpoint } from '../src/endpoint-pause.js';
import { REDIS_URL } from '../../../test/helpers/redis-keys.js';
import { event, Harness, sorted } from './worker-fixture.js';

/**
 * Herald releases before the BullMQ 6 upgrade ran on BullMQ 5. These tests write what such
 * a release leaves in Redis with BullMQ 5 itself (the `bullmq-v5` alias), through Herald's
 * own job ids, options and data (@herald/producer), then start the current worker on it.
 */
let h: Harness;
beforeEach(() => {
  h = new Harness();
});
afterEach(async () => {
  await h.close();
});

const connection = { url: REDIS_URL };
const LOCK_MS = 2000;

/** Adds one delivery job of these events, as Router writes it. */
function addDelivery(queue: QueueV5, events: Event[]) {
  const id = envelopeJobId(events);
  return queue.add(DELIVERY_JOB, deliveryJobData(encodeEvents(events)), { ...deliveryJobOptions(id), jobId: id });
}

describe('upgrade from a BullMQ 5 release', () => {
  it('delivers every job BullMQ 5 left: waiting, retrying, active at a crash, not yet fanned out, and held by a pause', async () => {
    const [steady, held] = await Promise.all([h.receiver('steady'), h.receiver('held')]);
    h.configure([{ name: 'steady' }, { name: 'held' }]);
    const ingress = new QueueV5(INGRESS_QUEUE, { connection, prefix: h.prefix });
    const steadyQueue = new QueueV5(endpointQueueName('steady'), { connection, prefix: h.prefix });
    const heldQueue = new QueueV5(endpointQueueName('held'), { connection, prefix: h.prefix });
    const expected = { steady: new Set<string>(), held: new Set<string>() };
    const accept = (events: readonly Event[], ...endpoints: (keyof typeof expected)[]) => {
      for (const endpoint of endpoints) for (const e of events) expected[endpoint].add(e.id);
    };
    const redis = new Redis(REDIS_URL);
    let v5Worker: WorkerV5 | undefined;
    try {
      // Deliveries a BullMQ 5 worker failed once (Herald's backoff put them in the delayed
      // set) or held when it stopped without releasing them, like a SIGKILL. Its lock and
      // stall check last what the current worker's do (Herald sets both to lockDurationMs).
      const toHang = new Set<string>();
      for (let n = 0; n < 30; n += 1) {
        const events = [event()];
        const job = await addDelivery(steadyQueue, events);
        if (n % 3 === 0) toHang.add(job.id!);
        accept(events, 'steady');
      }
      let failed = 0;
      const hanging = new Set<string>();
      v5Worker = new WorkerV5(
        endpointQueueName('steady'),
        async (job) => {
          if (!toHang.has(job.id!)) throw new Error('endpoint down');
          hanging.add(job.id!);
          return new Promise(() => {});
        },
        { connection, prefix: h.prefix, concurrency: 50, lockDuration: LOCK_MS, stalledInterval: LOCK_MS, settings: { backoffStrategy: () => 3000 } },
      );
      v5Worker.on('failed', () => (failed += 1));
      await steady.until(() => failed >= 30 - toHang.size && hanging.size === toHang.size);
      await v5Worker.close(true);
      v5Worker = undefined;
      expect(await steadyQueue.getJobCounts('delayed', 'active')).toStrictEqual({ delayed: 30 - toHang.size, active: toHang.size });

      // Deliveries waiting, and envelopes accepted but not yet fanned out (they reach both endpoints).
      for (let n = 0; n < 60; n += 1) {
        const events = [event()];
        await addDelivery(steadyQueue, events);
        accept(events, 'steady');
      }
      for (let n = 0; n < 40; n += 1) {
        const events = [event(), event('delete', undefined)];
        await ingress.add(ENVELOPE_JOB, { events }, ingressJobOptions(envelopeJobId(events)));
        accept(events, 'steady', 'held');
      }

      // A paused endpoint: BullMQ 5 keeps its deliveries in a list of their own.
      await heldQueue.pause();
      for (let n = 0; n < 30; n += 1) {
        const events = [event()];
        await addDelivery(heldQueue, events);
        accept(events, 'held');
      }
      expect(await redis.llen(`${h.prefix}:${endpointQueueName('held')}:paused`)).toBe(30);

      // The current worker, on BullMQ 6, takes over; the producer writes on.
      await h.startWorker(LOCK_MS);
      for (let n = 0; n < 10; n += 1) {
        const events = [event()];
        await h.producer.write(...events);
        accept(events, 'steady', 'held');
      }
      await steady.until(() => new Set(steady.delivered).size >= expected.steady.size, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(sorted(new Set(steady.delivered))).toStrictEqual(sorted(expected.steady));
      expect(held.delivered).toStrictEqual([]);

      // Resumed, the paused endpoint gets what BullMQ 5 held back and what was fanned out since.
      expect(await resumeEndpoint(redis, h.prefix, 'held')).toBe(true);
      await held.until(() => new Set(held.delivered).size >= expected.held.size, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(sorted(new Set(held.delivered))).toStrictEqual(sorted(expected.held));
      expect(await redis.exists(`${h.prefix}:${endpointQueueName('held')}:paused`)).toBe(0);
    } finally {
      redis.disconnect();
      await v5Worker?.close(true);
      await Promise.all([ingress.close(), steadyQueue.close(), heldQueue.close()]);
    }
  }, 60_000);
});
