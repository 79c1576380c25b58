import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * The ioredis client behind a queue, for the reads BullMQ has no method for. BullMQ 6 keeps
 * it on the queue's Redis backend and types it as its own minimal client interface.
 */
export async function queueRedis(queue: Queue): Promise<Redis> {
  return (await queue.getBackend().client) as unknown as Redis;
}
