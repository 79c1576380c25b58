import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createProducer, publishRoutes, routingTable } from '@herald/producer';
import { deleteKeys } from '../helpers/redis-keys.js';
import { BASELINE_JOB_OPTIONS, BASELINE_QUEUE } from './baseline-pipeline.js';
import { benchEvent, eventIds } from './bench-event.js';
import { monotonicUs } from './cpu-profile.js';
import { endpointName } from './herald-fleet.js';
import { concurrently, now } from './load-loop.js';

/** Writes `events` events with `writers` callers each awaiting `write`; returns events/s, fills `window` (monotonicUs). */
async function writeRate(write: (n: number) => Promise<unknown>, writers: number, events: number, window?: [number, number]): Promise<number> {
  // Warm up: the connection, BullMQ's script load, V8's compilation of the write path.
  for (let n = 0; n < 200; n += 1) await write(events + n);
  let next = 0;
  const started = now();
  if (window !== undefined) window[0] = monotonicUs();
  await concurrently(writers, async () => {
    if (next >= events) return false;
    await write(next++);
    return true;
  });
  const rate = (events * 1000) / (now() - started);
  if (window !== undefined) window[1] = monotonicUs();
  return rate;
}

/**
 * Durable enqueue rate of the embedded producer: `writers` callers each awaiting
 * `producer.write(event)` (one ~1 KB event per write) until `events` are written; every
 * write resolved only after Redis acknowledged it. The routes a worker would publish
 * (one endpoint, no filter) are in Redis, so each write adds one delivery job. Returns
 * events/s; fills `window` with the measured interval (monotonicUs) when given.
 */
export async function producerRate(redisUrl: string, writers: number, events: number, window?: [number, number]): Promise<number> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const id = eventIds(randomUUID());
  const redis = new Redis(redisUrl);
  await publishRoutes(redis, prefix, routingTable([{ name: endpointName(0), ignore: { mediaTypes: [], actions: [] } }]));
  redis.disconnect();
  const producer = createProducer({ redis: redisUrl, prefix });
  try {
    await producer.ready();
    return await writeRate((n) => producer.write(benchEvent(id(n))), writers, events, window);
  } finally {
    await producer.close();
    await deleteKeys(redisUrl, prefix);
  }
}

/**
 * The producer's baseline: the hand-written pipeline's `Queue.add({ events: [event] })`,
 * `writers` callers each awaiting it, on one ioredis connection. Returns events/s.
 */
export async function queueAddRate(redisUrl: string, writers: number, events: number): Promise<number> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const id = eventIds(randomUUID());
  const queue = new Queue(BASELINE_QUEUE, { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix });
  try {
    await queue.waitUntilReady();
    return await writeRate((n) => queue.add('envelope', { events: [benchEvent(id(n))] }, BASELINE_JOB_OPTIONS), writers, events);
  } finally {
    await queue.close();
    await deleteKeys(redisUrl, prefix);
  }
}
