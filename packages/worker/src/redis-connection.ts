import { connectRedis, sentinelOptions, type RedisConnectionSettings } from '@herald/producer';
import type { ConnectionOptions } from 'bullmq';
import type { Cluster, Redis, RedisOptions } from 'ioredis';

/**
 * Workers keep ioredis's offline queue and reconnect forever: a Redis outage pauses
 * delivery, it does not stop the process.
 */
const WORKER_REDIS_OPTIONS = { maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 200, 2000) } satisfies RedisOptions;

/**
 * What a BullMQ Queue or Worker takes as `connection`: options it makes a client of, or a
 * client. (BullMQ's options type has no `null` retry strategy; these always carry one.)
 */
export type BullConnection = ConnectionOptions;

/**
 * The BullMQ connections of one worker component. For one server or Sentinel they are
 * options, and BullMQ makes and closes its clients; BullMQ cannot make a Redis Cluster
 * client from options, so for a cluster each is a Cluster made here, which `close()` ends
 * once the BullMQ objects using it are closed.
 */
export class WorkerConnections {
  readonly #settings: RedisConnectionSettings;
  readonly #made: (Redis | Cluster)[] = [];

  constructor(settings: RedisConnectionSettings) {
    this.#settings = settings;
  }

  /** A connection for one Queue or Worker, with `extra` ioredis options. */
  next(extra: RedisOptions = {}): BullConnection {
    const options = { ...WORKER_REDIS_OPTIONS, ...extra };
    if (this.#settings.mode === 'standalone') return { url: this.#settings.url, ...options } as BullConnection;
    if (this.#settings.mode === 'sentinel') return sentinelOptions(this.#settings, options) as BullConnection;
    const client = connectRedis(this.#settings, options);
    client.on('error', () => {});
    this.#made.push(client);
    return client;
  }

  /** Ends the clients made here; call after closing what uses them. */
  async close(): Promise<void> {
    await Promise.all(this.#made.splice(0).map((client) => client.quit().then(
      () => undefined,
      () => client.disconnect(),
    )));
  }
}
