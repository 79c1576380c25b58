import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { EndpointConfig } from '@herald/config';
import { acceptsEvent, type Envelope, type Event } from '@herald/events';
import {
  DELIVERY_JOB,
  deliveriesOf,
  deliveryJobData,
  deliveryJobOptions,
  endpointQueueName,
  INGRESS_QUEUE,
  KEEP_FINISHED_JOBS,
  reconnectDelayMs,
  UNLIMITED_ATTEMPTS,
  type DeliveryJobData,
} from '@herald/producer';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.js';
import { workerConnection } from './redis-connection.js';

/** Options of FanOut. */
export interface FanOutOptions {
  /** Redis URL of Herald's queues. */
  redisUrl: string;
  /** Prefix of Herald's Redis keys. @defaultValue 'herald' */
  prefix?: string;
  /** Ingress jobs fanned out at once by this process. @defaultValue 16 */
  concurrency?: number;
  /** BullMQ lock of an ingress job, in ms; a crashed worker's job runs again after about this long. @defaultValue 30000 */
  lockDurationMs?: number;
  /** Component logger. */
  logger: Logger;
}

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
  readonly #connection: Redis;
  readonly #ordered: boolean;
  readonly #log: Logger;

  constructor(endpoints: readonly EndpointConfig[], options: FanOutOptions) {
    const prefix = options.prefix ?? 'herald';
    this.#connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null, retryStrategy: reconnectDelayMs });
    this.#connection.on('error', () => {});
    this.#targets = endpoints
      .filter((endpoint) => !endpoint.disabled)
      .map((endpoint) => ({
        name: endpoint.name,
        accepts: acceptsEvent(endpoint.ignore),
        queue: new Queue<DeliveryJobData>(endpointQueueName(endpoint.name), { connection: this.#connection, prefix }),
      }));
    const log = (this.#log = options.logger);
    this.#ordered = endpoints.some((endpoint) => endpoint.ordered && !endpoint.disabled);
    this.#ingress = new Queue<Envelope>(INGRESS_QUEUE, { connection: this.#connection, prefix });
    this.#ingress.on('error', () => {});
    this.#worker = new Worker<Envelope>(INGRESS_QUEUE, (job) => this.#fanOut(job), {
      connection: workerConnection(options.redisUrl),
      prefix,
      autorun: false,
      concurrency: this.#ordered ? 1 : (options.concurrency ?? 16),
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.lockDurationMs ?? 30_000,
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
    return adds.length;
  }

  /** Stops taking ingress jobs, waits for those in flight, then closes connections. */
  async close(force = false): Promise<void> {
    await this.#worker.close(force);
    await Promise.all([this.#ingress.close(), ...this.#targets.map((target) => target.queue.close())]);
    await this.#connection.quit().catch(() => this.#connection.disconnect());
  }
}
