import { RECOMMENDED_HASH_MAX_LISTPACK_VALUE } from '@herald/producer';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Reads the Redis settings that change what Herald costs and says, once at start, at
 * `warn`, which one an operator should change and why. A Redis that refuses CONFIG GET
 * (managed services do) gets no advice. Returns the value it read, if any.
 */
export async function adviseOnRedis(redis: Redis | Cluster, logger: Logger): Promise<number | undefined> {
  let value: number;
  try {
    const reply = (await redis.config('GET', 'hash-max-listpack-value')) as string[];
    value = Number(reply[1]);
  } catch {
    return undefined;
  }
  if (Number.isFinite(value) && value < RECOMMENDED_HASH_MAX_LISTPACK_VALUE) {
    logger.warn(
      { hashMaxListpackValue: value, recommended: RECOMMENDED_HASH_MAX_LISTPACK_VALUE },
      'redis stores each pending delivery in its large hash encoding; set hash-max-listpack-value 1024 to about halve that memory',
    );
  }
  return value;
}
