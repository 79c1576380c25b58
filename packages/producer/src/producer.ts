import type { Event, Sink, SourceRecord } from '@herald/events';
import type { Logger } from 'pino';
import { QueueSink } from './queue-sink.js';
import { openRedis, PRODUCER_REDIS_OPTIONS, type RedisTarget } from './redis-target.js';

/** Options of createProducer. */
export interface ProducerOptions {
  /** Redis URL, ioredis options, or an ioredis Redis or Cluster the caller owns and closes. */
  redis: RedisTarget;
  /** Prefix of Herald's Redis keys; on Redis Cluster use a hash tag such as `{herald}`. @defaultValue 'herald' */
  prefix?: string;
  /** Filled into events that carry no `source` (this registry node's address and instance id). @defaultValue none */
  source?: SourceRecord;
  /**
   * When a write counts as done (`redis.durability`): `acknowledged` once Redis took it,
   * `replicated` once a replica holds it too, so a failover loses nothing acknowledged.
   * @defaultValue 'acknowledged'
   */
  durability?: 'acknowledged' | 'replicated';
  /** How long a write may wait for Redis to acknowledge, in ms. @defaultValue 5000 */
  timeoutMs?: number;
  /** Most envelopes enqueued in one Redis round trip under concurrent writes. @defaultValue 512 */
  maxBatch?: number;
  /** pino logger for connection changes; the producer never logs event contents. @defaultValue none */
  logger?: Logger;
}

/** The Redis-backed Sink a registry node embeds. */
export interface Producer extends Sink {
  /** Resolves once Redis is reachable; rejects with ProducerUnavailableError after timeoutMs. */
  ready(): Promise<void>;
}

/**
 * Fills `source` into events that lack it, then hands them to the inner sink;
 * it leaves validation and durability to the inner sink.
 */
class SourceSink implements Sink {
  readonly #inner: Sink;
  readonly #source: SourceRecord;

  constructor(inner: Sink, source: SourceRecord) {
    this.#inner = inner;
    this.#source = source;
  }

  write(...events: Event[]): Promise<void> {
    return this.#inner.write(...events.map((event) => (event.source === undefined ? { ...event, source: this.#source } : event)));
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * Creates the producer: `write(...events)` validates the events, adds one delivery job
 * per routed endpoint that wants them (the routes the workers published) and resolves
 * only once Redis holds them. Writing
 * the same events again enqueues nothing. When Redis is unreachable, writes reject
 * within `timeoutMs` with ProducerUnavailableError and succeed again when it returns.
 */
export function createProducer(options: ProducerOptions): Producer {
  // Each Redis command also times out, so a Redis that accepts connections but stops
  // answering cannot hold a batch forever.
  const redis = openRedis(options.redis, { ...PRODUCER_REDIS_OPTIONS, commandTimeout: options.timeoutMs ?? 5000 });
  const sink = new QueueSink(redis, { prefix: options.prefix, timeoutMs: options.timeoutMs, maxBatch: options.maxBatch, durability: options.durability, logger: options.logger?.child({ component: 'producer' }) });
  const chain: Sink = options.source === undefined ? sink : new SourceSink(sink, options.source);
  return {
    write: (...events) => chain.write(...events),
    close: () => chain.close(),
    ready: () => sink.ready(),
  };
}
