import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { endpointQueueName, slotPerQueue } from '@herald/producer';

/**
 * Pausing an endpoint is pausing its BullMQ queue: the flag lives in Redis, so it holds
 * for every worker of the fleet and across restarts, and deliveries keep queueing behind
 * it (retries coming due join them) until it is resumed. The board's Pause and Resume do
 * the same.
 */

async function withQueue<T>(redis: Redis | Cluster, prefix: string, endpoint: string, use: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(endpointQueueName(endpoint, slotPerQueue(redis, prefix)), { connection: redis, prefix, skipVersionCheck: true });
  queue.on('error', () => {});
  try {
    return await use(queue);
  } finally {
    await queue.close();
  }
}

/** Pauses an endpoint fleet-wide; resolves to whether it was already paused. */
export function pauseEndpoint(redis: Redis | Cluster, prefix: string, endpoint: string): Promise<boolean> {
  return withQueue(redis, prefix, endpoint, async (queue) => {
    const already = await queue.isPaused();
    if (!already) await queue.pause();
    return already;
  });
}

/** Resumes an endpoint fleet-wide; resolves to whether it was paused. */
export function resumeEndpoint(redis: Redis | Cluster, prefix: string, endpoint: string): Promise<boolean> {
  return withQueue(redis, prefix, endpoint, async (queue) => {
    const paused = await queue.isPaused();
    if (paused) await queue.resume();
    return paused;
  });
}
