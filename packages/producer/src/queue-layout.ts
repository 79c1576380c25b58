import { Cluster, Redis } from 'ioredis';
import type { RedisConnectionSettings } from './redis-connect.js';

/**
 * Whether each queue gets a hash slot of its own: on a Redis Cluster (a Cluster client,
 * or settings in cluster mode), unless the prefix already holds a hash tag (`{herald}`,
 * as Herald advised before it spread queues), which puts every key in one slot and must
 * keep doing so, or the queues written under it would be left behind. On one server or
 * Sentinel, slots do not exist and names stay plain.
 */
export function slotPerQueue(redis: Redis | Cluster | Pick<RedisConnectionSettings, 'mode'>, prefix: string): boolean {
  const clustered = redis instanceof Cluster || (!(redis instanceof Redis) && redis.mode === 'cluster');
  return clustered && !/[{}]/.test(prefix);
}

/**
 * A queue's name as BullMQ stores it: with `slotPerQueue`, its plain name (`events`,
 * `endpoint.<name>`) as a hash tag, so that every key of the queue shares one slot.
 * Labels (metrics, the board) keep the plain name.
 */
export function storedQueueName(plain: string, slotPerQueue: boolean): string {
  return slotPerQueue ? `{${plain}}` : plain;
}
