import { Queue, Worker, type Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { EndpointConfig } from '@herald/config';
import { acceptsEvent, type Envelope, type Event } from '@herald/events';
import {
  DELIVERY_JOB,
  deliveriesOf,
  deliveryJobData,
  deliveryJobOptions,
  connectRedis,
  endpointQueueName,
  replicasConfirming,
  ingressQueueName,
  KEEP_FINISHED_JOBS,
  slotPerQueue,
  UNLIMITED_ATTEMPTS,
  type DeliveryJobData,
  type RedisConnectionSettings,
} from '@herald/producer';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.js';
import { WorkerConnections } from './redis-connection.js';
import { fanOutLockMs } from './delivery-lock.js';

/** Options of FanOut. */
export interface FanOutOptions {
  /** The Redis of Herald's queues (`redis.*`): one server, a Redis Cluster or Sentinel. */
  redis: RedisConnectionSettings;
  /** Prefix of Herald's Redis keys. @defaultValue 'herald' */
  prefix?: string;
  /** Ingress jobs fanned out at once by this process. @defaultValue 16 */
  concurrency?: number;
  /** BullMQ lock of an ingress job, in ms; a crashed worker's job runs again within twice this long. 0: 10 s. @defaultValue 0 */
  lockDurationMs?: number;
  /** When the fan-out's adds count as done (`redis.durability`). @defaultValue 'acknowledged' */
  durability?: 'acknowledged' | 'replicated';
  /** Component logger. */
  logger: Logger;
}

/** How long a fan-out waits for a replica (`durability: replicated`) before it fails and is retried, in ms. */
const REPLICA_WAIT_MS = 5000;

interface Target {
  readonly name: string;
  readonly accepts: (event: Event) => boolean;
  readonly queue: Queue<DeliveryJobData>;
}

/** Retry schedule of a failed fan-out (Redis trouble): 1s, doubling to 1 minute. */
const FAN_OUT_RETRY = { backoffMs: 1000, threshold: 1, maxBackoffMs: 60_000, maxAgeMs: 0 };

/**
 * FanOut consumes the ingress queue and adds one delivery job per enabled endpoint whose
 * filter keeps at least one event of the envelope; delivery is left to each endpoint's
 * worker. The ingress job completes only after every add succeeded; a re-run after a
 * crash adds nothing twice, because delivery job ids are derived from the envelope's.
 */
export class FanOut {
  readonly #worker: Worker<Envelope>;
  readonly #ingress: Queue<Envelope>;
  readonly #targets: Target[];
  readonly #connection: Redis | Cluster;
  readonly #connections: WorkerConnections;
  readonly #ordered: boolean;
  readonly #replicated: boolean;
  readonly #log: Logger;

  constructor(endpoints: readonly EndpointConfig[], options: FanOutOptions) {
    const prefix = options.prefix ?? 'herald';
    this.#connection = connectRedis(options.redis, { maxRetriesPerRequest: null });
    this.#connection.on('error', () => {});
    this.#connections = new WorkerConnections(options.redis);
    this.#replicated = options.durability === 'replicated';
    const perSlot = slotPerQueue(this.#connection, prefix);
    this.#targets = endpoints
      .filter((endpoint) => !endpoint.disabled)
      .map((endpoint) => ({
        name: endpoint.name,
        accepts: acceptsEvent(endpoint.ignore),
        queue: new Queue<DeliveryJobData>(endpointQueueName(endpoint.name, perSlot), { connection: this.#connection, prefix }),
      }));
    const log = (this.#log = options.logger);
    this.#ordered = endpoints.some((endpoint) => endpoint.ordered && !endpoint.disabled);
    this.#ingress = new Queue<Envelope>(ingressQueueName(perSlot), { connection: this.#connection, prefix });
    this.#ingress.on('error', () => {});
    this.#worker = new Worker<Envelope>(ingressQueueName(perSlot), (job) => this.#fanOut(job), {
      connection: this.#connections.next(),
      prefix,
      autorun: false,
      concurrency: this.#ordered ? 1 : (options.concurrency ?? 16),
      lockDuration: fanOutLockMs(options.lockDurationMs),
      stalledInterval: fanOutLockMs(options.lockDurationMs),
      maxStalledCount: UNLIMITED_ATTEMPTS,
      ...KEEP_FINISHED_JOBS,
      settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(FAN_OUT_RETRY, attemptsMade) },
    });
    this.#worker.on('failed', (job, error) => {
      log.warn({ err: error, jobId: job?.id, attempt: job?.attemptsMade }, 'fan-out failed, retrying');
    });
    this.#worker.on('error', (error) => log.warn({ err: error }, 'fan-out worker error'));
    for (const target of this.#targets) target.queue.on('error', () => {});
  }

  /**
   * Starts consuming. With an ordered endpoint, envelopes are fanned out one at a time
   * across the fleet, so its queue receives them in the order they were accepted.
   */
  async start(): Promise<void> {
    if (this.#ordered) await this.#ingress.setGlobalConcurrency(1);
    else await this.#ingress.removeGlobalConcurrency();
    void this.#worker.run().catch((error: unknown) => this.#log.error({ err: error }, 'fan-out worker stopped'));
  }

  /** Whether the BullMQ worker is consuming. */
  running(): boolean {
    return this.#worker.isRunning();
  }

  /** Names of the endpoints envelopes are fanned out to. */
  get endpoints(): string[] {
    return this.#targets.map((target) => target.name);
  }

  async #fanOut(job: Job<Envelope>): Promise<number> {
    const events = job.data.events;
    const acceptedAt = (job.data as { acceptedAt?: number }).acceptedAt ?? job.timestamp;
    const adds = deliveriesOf(events, this.#targets).map(({ target, encoded }) =>
      target.queue.add(DELIVERY_JOB, deliveryJobData(encoded, acceptedAt, (job.data as { tp?: string }).tp, (job.data as { src?: string }).src), { ...deliveryJobOptions(job.id!), jobId: job.id! }),
    );
    await Promise.all(adds);
    // The ingress job completes once its deliveries are as durable as redis.durability asks:
    // on a cluster they sit on other masters than the ingress queue, and a failover there
    // must not lose them after the envelope left the ingress queue.
    if (this.#replicated && (await replicasConfirming(this.#connection, REPLICA_WAIT_MS)) < 1) {
      throw new Error(`no replica confirmed the deliveries within ${REPLICA_WAIT_MS}ms; fanning out again`);
    }
    return adds.length;
  }

  /** Stops taking ingress jobs, waits for those in flight, then closes connections. */
  async close(force = false): Promise<void> {
    await this.#worker.close(force);
    await Promise.all([this.#ingress.close(), ...this.#targets.map((target) => target.queue.close())]);
    await this.#connection.quit().catch(() => this.#connection.disconnect());
    await this.#connections.close();
  }
}
