import { connectRedis } from '@herald/producer';
import type { Cluster, Redis } from 'ioredis';
import type { HeraldConfig } from '@herald/config';
import { EXIT_FAILURE } from './exit-codes.js';
import type { CommandIo } from './io.js';

/**
 * Runs a tool command (status, trace, replay, pause…) on one Redis connection that fails
 * fast: one connection attempt, no reconnect, one try per command. An unreachable Redis
 * becomes `herald: <failure>: <reason>` on stderr and exit 1, never a hang.
 */
export async function withCommandRedis(config: HeraldConfig, io: CommandIo, failure: string, work: (redis: Redis | Cluster) => Promise<number>): Promise<number> {
  const redis = connectRedis(config.redis, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await work(redis);
  } catch (error) {
    io.stderr.write(`herald: ${failure}: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  } finally {
    redis.disconnect();
  }
}
