import type { FastifyBaseLogger } from 'fastify';
import { connectRedis, reconnectDelayMs, type RedisConnectionSettings } from '@herald/producer';
import { Redis, type Cluster } from 'ioredis';

/**
 * The one Redis connection all of a board's queues share. It logs an outage once (not
 * at every reconnect attempt) and lets requests wait a bounded time for Redis, since
 * BullMQ itself waits for a first connection without bound.
 */
export class BoardConnection {
  readonly redis: Redis | Cluster;
  readonly #log: FastifyBaseLogger;
  #down = false;
  #waiting: Promise<boolean> | undefined;

  constructor(target: string | RedisConnectionSettings, log: FastifyBaseLogger) {
    // A command fails after one reconnect attempt instead of queueing until Redis returns,
    // so a request during an outage gets an error, not silence.
    const options = { maxRetriesPerRequest: 1, retryStrategy: reconnectDelayMs };
    this.redis = typeof target === 'string' ? new Redis(target, options) : connectRedis(target, options);
    this.#log = log;
    this.redis.on('error', (err: Error) => {
      if (!this.#down) this.#log.warn({ err }, 'board cannot reach redis, retrying');
      this.#down = true;
    });
    this.redis.on('ready', () => {
      if (this.#down) this.#log.info('board reached redis again');
      this.#down = false;
    });
  }

  /** Resolves true once Redis is ready, false if it is not within `timeoutMs`; callers at the same time share one wait. */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    this.#waiting ??= new Promise<boolean>((resolve) => {
      const done = (ready: boolean): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        this.#waiting = undefined;
        resolve(ready);
      };
      const onReady = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.once('ready', onReady);
    });
    return this.#waiting;
  }

  /** Closes the connection: QUIT when connected, else drops it. */
  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
