import type { RedisOptions } from 'ioredis';

/** ioredis options with a retry strategy always set: BullMQ's options type has no `null` strategy. */
export type WorkerConnection = Omit<RedisOptions, 'retryStrategy'> & { url: string; retryStrategy: (times: number) => number };

/**
 * ioredis options for BullMQ workers and queues from a Redis URL. Workers keep
 * ioredis's offline queue and reconnect forever: a Redis outage pauses delivery,
 * it does not stop the process.
 */
export function workerConnection(url: string): WorkerConnection {
  return { url, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 200, 2000) };
}
