import { randomUUID } from 'node:crypto';
import { createProducer } from '@herald/producer';
import { deleteKeys } from '../helpers/redis-keys.js';
import { benchEvent, eventIds } from './bench-event.js';
import { monotonicUs } from './cpu-profile.js';
import { concurrently, now } from './load-loop.js';

/**
 * Durable enqueue rate of the embedded producer: `writers` callers each awaiting
 * `producer.write(event)` (one ~1 KB event per write) until `events` are written; every
 * write resolved only after Redis acknowledged it. Returns events/s; fills `window` with
 * the measured interval (monotonicUs) when given.
 */
export async function producerRate(redisUrl: string, writers: number, events: number, window?: [number, number]): Promise<number> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const id = eventIds(randomUUID());
  const producer = createProducer({ redis: redisUrl, prefix });
  try {
    await producer.ready();
    // Warm up: the connection, BullMQ's script load, V8's compilation of the write path.
    for (let n = 0; n < 200; n += 1) await producer.write(benchEvent(id(events + n)));
    let next = 0;
    const started = now();
    if (window !== undefined) window[0] = monotonicUs();
    await concurrently(writers, async () => {
      if (next >= events) return false;
      await producer.write(benchEvent(id(next++)));
      return true;
    });
    const rate = (events * 1000) / (now() - started);
    if (window !== undefined) window[1] = monotonicUs();
    return rate;
  } finally {
    await producer.close();
    await deleteKeys(redisUrl, prefix);
  }
}
