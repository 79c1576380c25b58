import { currentWriteContext, parseEvents, SinkClosedError, type Event, type Sink } from '@herald/events';
import type { Logger } from 'pino';
import { Coalescer } from './coalescer.js';
import { NotReplicatedError, ProducerUnavailableError } from './errors.js';
import { envelopeJobId } from './ingress-queue.js';
import type { RedisHandle } from './redis-target.js';
import { replicasConfirming } from './replication.js';
import { Router } from './router.js';

/** Options of QueueSink. */
export interface QueueSinkOptions {
  /** Prefix of Herald's Redis keys. @defaultValue 'herald' */
  prefix?: string;
  /** How long a write may wait for Redis to acknowledge, in ms. @defaultValue 5000 */
  timeoutMs?: number;
  /** Most envelopes enqueued in one Redis round trip. @defaultValue 512 */
  maxBatch?: number;
  /** Where to log connection changes. @defaultValue a silent logger */
  logger?: Logger | undefined;
  /**
   * When a write counts as done: `acknowledged` once Redis took it; `replicated` once a
   * replica of each master written to holds it too (Redis `WAIT`), within the write's
   * timeout, else the write fails with NotReplicatedError. @defaultValue 'acknowledged'
   */
  durability?: 'acknowledged' | 'replicated' | undefined;
}

interface Pending {
  readonly id: string;
  readonly events: Event[];
  /** The writer's trace context (withTraceparent, or an OpenTelemetry span), if any. */
  readonly traceparent?: string;
  /** Who handed Herald the events (withWriteContext), if said. */
  readonly source?: string;
  /** When the write gives up, in ms since the epoch. */
  readonly deadline: number;
}

/**
 * QueueSink validates events and has the Router enqueue them as one delivery job per
 * routed endpoint; its write resolves only after Redis acknowledged every job.
 * Concurrent writes share Redis round trips. Delivery is left to the workers.
 */
export class QueueSink implements Sink {
  readonly #router: Router;
  readonly #redis: RedisHandle;
  readonly #timeoutMs: number;
  readonly #replicated: boolean;
  readonly #coalescer: Coalescer<Pending>;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #lastError = 'not connected yet';

  constructor(redis: RedisHandle, options: QueueSinkOptions = {}) {
    this.#redis = redis;
    this.#router = new Router(redis.client, {
      prefix: options.prefix ?? 'herald',
      onError: (error) => {
        this.#lastError = error.message;
      },
    });
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#replicated = options.durability === 'replicated';
    this.#coalescer = new Coalescer((batch) => this.#enqueue(batch), options.maxBatch ?? 512);
    const log = options.logger;
    let down = false;
    redis.client.on('error', (error: Error) => {
      this.#lastError = error.message;
      if (!down) log?.warn({ err: error, redis: redis.where }, 'redis unreachable, writes fail until it returns');
      down = true;
    });
    redis.client.on('ready', () => {
      if (down) log?.info({ redis: redis.where }, 'redis reachable again');
      down = false;
    });
  }

  async write(...events: Event[]): Promise<void> {
    if (this.#closing !== undefined) throw new SinkClosedError('producer');
    parseEvents(events);
    // Taken now: the coalesced round trip runs in whichever writer's context flushes it.
    const { traceparent, source } = currentWriteContext();
    const pending: Pending = { id: envelopeJobId(events), events, deadline: Date.now() + this.#timeoutMs, traceparent, source };
    const write = this.#coalescer.submit(pending, {
      ms: this.#timeoutMs,
      error: () => this.#unavailable(`did not acknowledge within ${this.#timeoutMs}ms (${this.#lastError}); writing the same events again is safe`),
    });
    this.#inFlight.add(write);
    try {
      await write;
    } finally {
      this.#inFlight.delete(write);
    }
  }

  /** Resolves once Redis is reachable and the routes are read; rejects after timeoutMs. */
  async ready(): Promise<void> {
    await this.#whenConnected(this.#timeoutMs);
    try {
      await this.#router.load();
    } catch (error) {
      throw this.#unavailable(`did not answer: ${(error as Error).message}`, error);
    }
  }

  async close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      await this.#router.close();
      if (this.#redis.owned) await this.#redis.client.quit().catch(() => this.#redis.client.disconnect());
    })();
    return this.#closing;
  }

  async #enqueue(batch: Pending[]): Promise<void> {
    // Wait for a connection no longer than the most urgent write in the batch may wait.
    const deadline = Math.min(...batch.map((pending) => pending.deadline));
    await this.#whenConnected(Math.max(1, deadline - Date.now()));
    try {
      await this.#router.enqueue(batch);
    } catch (error) {
      throw this.#unavailable(`did not take the envelope: ${(error as Error).message}`, error);
    }
    if (this.#replicated) await this.#replicated$(deadline);
  }

  /** `durability: replicated`: resolves once a replica of every master written to holds the batch. */
  async #replicated$(deadline: number): Promise<void> {
    // WAIT ends a little before the write's own timeout, so that its answer, not the
    // timeout, says why the write failed.
    const margin = Math.min(250, this.#timeoutMs / 5);
    const waitMs = Math.max(1, Math.round(deadline - Date.now() - margin));
    let replicas: number;
    try {
      replicas = await replicasConfirming(this.#redis.client, waitMs);
    } catch (error) {
      throw this.#unavailable(`did not say whether a replica holds the envelope: ${(error as Error).message}`, error);
    }
    if (replicas < 1) {
      throw new NotReplicatedError(this.#redis.where, `took the envelope, but no replica confirmed it within ${waitMs}ms; writing the same events again is safe`);
    }
  }

  /** Waits for a ready connection, so no command is sent that could land after its write gave up. */
  async #whenConnected(timeoutMs: number): Promise<void> {
    const client = this.#redis.client;
    if (client.status === 'ready') return;
    if (client.status === 'end') throw this.#unavailable('connection is closed');
    const signal = AbortSignal.timeout(timeoutMs);
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        client.off('ready', onReady);
        reject(this.#unavailable(`is unreachable (${this.#lastError})`));
      };
      client.once('ready', onReady);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #unavailable(reason: string, cause?: unknown): ProducerUnavailableError {
    return new ProducerUnavailableError(this.#redis.where, reason, { cause });
  }
}
