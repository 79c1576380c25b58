import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { EndpointConfig } from '@herald/config';
import type { Event, Sink } from '@herald/events';
import { acceptedAtOf, deliveryEvents, endpointQueueName, EventCodecError, KEEP_FINISHED_JOBS, UNLIMITED_ATTEMPTS, type DeliveryJobData } from '@herald/producer';
import type { Logger } from 'pino';
import { givesUp, retryDelay, type RetryPolicy } from './backoff.js';
import { DeliveryExpiredError, DeliveryRetryError } from './delivery-errors.js';
import { EndpointRequestError, EndpointResponseError } from './endpoint-errors.js';
import { workerConnection } from './redis-connection.js';

/** Told when a delivery is given up, so it is counted: nothing is dropped silently. */
export interface ExpiryListener {
  onExpired(endpoint: string, events: readonly Event[], error: Error): void;
}

/** Options of DeliveryWorker. */
export interface DeliveryWorkerOptions {
  /** Redis URL of Herald's queues. */
  redisUrl: string;
  /** Prefix of Herald's Redis keys. @defaultValue 'herald' */
  prefix?: string;
  /** Deliveries in flight in this process; ordered endpoints always use 1. */
  concurrency: number;
  /** BullMQ lock of a delivery job, in ms; a crashed worker's job is retried after about this long. @defaultValue 30000 */
  lockDurationMs?: number;
  /** Told of every delivery given up. */
  expiryListener?: ExpiryListener;
  /** Component logger. */
  logger: Logger;
}

/**
 * Failures that say the endpoint as a whole is unwell (no answer, 3xx, 5xx, 429, 408),
 * as opposed to one event it refuses (other 4xx): only these trip the endpoint's breaker.
 */
function isEndpointWide(error: unknown): boolean {
  if (error instanceof EndpointRequestError) return true;
  if (error instanceof EndpointResponseError) return error.status < 400 || error.status >= 500 || error.status === 429 || error.status === 408;
  return false;
}

/**
 * BullMQ honours a queue's rate-limit key only when the worker has a limiter; this one
 * never limits by count (the max is out of reach) and exists so that a pause set by
 * one worker (`rateLimit`) holds for every worker of the fleet.
 */
const PAUSE_ONLY_LIMITER = { max: 1_000_000_000, duration: 1000 };

function retryAfterOf(error: unknown): number | undefined {
  const value = (error as { retryAfterMs?: unknown })?.retryAfterMs;
  return typeof value === 'number' ? value : undefined;
}

/**
 * DeliveryWorker consumes one endpoint's queue and hands each job's events to the
 * endpoint's sink (one POST attempt); it owns the retry decision and leaves the HTTP
 * to the sink. A failed attempt is retried per the endpoint's policy until `maxage`,
 * then the job stays in the failed set for replay. For an ordered endpoint, one job at
 * a time runs across the whole fleet and a failing job keeps its place at the head.
 */
export class DeliveryWorker {
  readonly #endpoint: EndpointConfig;
  readonly #sink: Sink;
  readonly #queue: Queue<DeliveryJobData>;
  readonly #worker: Worker<DeliveryJobData>;
  readonly #policy: RetryPolicy;
  readonly #log: Logger;
  readonly #expiryListener: ExpiryListener | undefined;
  /** Endpoint-wide failures in a row in this process; at `threshold` the endpoint pauses. */
  #failuresInARow = 0;

  constructor(endpoint: EndpointConfig, sink: Sink, options: DeliveryWorkerOptions) {
    this.#endpoint = endpoint;
    this.#sink = sink;
    this.#policy = endpoint;
    this.#log = options.logger;
    this.#expiryListener = options.expiryListener;
    const prefix = options.prefix ?? 'herald';
    const name = endpointQueueName(endpoint.name);
    this.#queue = new Queue<DeliveryJobData>(name, { connection: workerConnection(options.redisUrl), prefix });
    this.#queue.on('error', () => {});
    this.#worker = new Worker<DeliveryJobData>(name, (job) => this.#deliver(job), {
      connection: workerConnection(options.redisUrl),
      prefix,
      concurrency: endpoint.ordered ? 1 : options.concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.lockDurationMs ?? 30_000,
      maxStalledCount: UNLIMITED_ATTEMPTS,
      ...KEEP_FINISHED_JOBS,
      limiter: PAUSE_ONLY_LIMITER,
      autorun: false,
      settings: {
        backoffStrategy: (_attempts: number, _type?: string, error?: Error) =>
          error instanceof DeliveryRetryError ? error.delayMs : endpoint.backoffMs,
      },
    });
    this.#worker.on('error', (error) => this.#log.warn({ err: error }, 'delivery worker error'));
  }

  /** Sets the fleet-wide limit of an ordered endpoint, then starts consuming. */
  async start(): Promise<void> {
    if (this.#endpoint.ordered) await this.#queue.setGlobalConcurrency(1);
    void this.#worker.run().catch((error: unknown) => this.#log.error({ err: error }, 'delivery worker stopped'));
  }

  async #deliver(job: Job<DeliveryJobData>): Promise<void> {
    const events = this.#eventsOf(job);
    try {
      await this.#sink.write(...events);
      this.#failuresInARow = 0;
      if (this.#log.isLevelEnabled('debug')) this.#log.debug({ jobId: job.id, eventIds: events.map((e) => e.id) }, 'delivered');
    } catch (error) {
      // Ordered jobs go back to the head without counting a failed attempt; count starts instead.
      const retry = this.#endpoint.ordered ? Math.max(1, job.attemptsStarted) : job.attemptsMade + 1;
      const delayMs = retryDelay(this.#policy, retry, retryAfterOf(error));
      const log = this.#log.child({ jobId: job.id, eventIds: events.map((e) => e.id) });
      if (givesUp(this.#policy, acceptedAtOf(job), Date.now(), delayMs)) {
        const expired = new DeliveryExpiredError(this.#endpoint.name, this.#policy.maxAgeMs, error);
        log.error({ err: error, attempt: retry }, 'delivery given up after maxage, kept in the failed set for replay');
        this.#expiryListener?.onExpired(this.#endpoint.name, events, expired);
        throw Object.assign(new UnrecoverableError(expired.message), { cause: expired });
      }
      log.warn(
        { err: error, status: (error as { status?: number }).status, attempt: retry, retryInMs: delayMs, nextRetryAt: new Date(Date.now() + delayMs).toISOString() },
        'delivery failed, retrying',
      );
      if (this.#endpoint.ordered) {
        await this.#worker.rateLimit(delayMs);
        throw Worker.RateLimitError();
      }
      // Like distribution's breaker: after `threshold` endpoint-wide failures in a row, the
      // whole endpoint waits out the backoff instead of every pending job trying on its own.
      if (isEndpointWide(error) && (this.#failuresInARow += 1) >= this.#endpoint.threshold) {
        await this.#worker.rateLimit(delayMs);
      }
      throw new DeliveryRetryError(this.#endpoint.name, delayMs, error);
    }
  }

  /** The job's events; a job no release can decode goes to the failed set at once, logged at error. */
  #eventsOf(job: Job<DeliveryJobData>): Event[] {
    try {
      return deliveryEvents(job.data);
    } catch (error) {
      if (!(error instanceof EventCodecError)) throw error;
      this.#log.error({ err: error, jobId: job.id }, 'delivery cannot be decoded, kept in the failed set');
      throw Object.assign(new UnrecoverableError(error.message), { cause: error });
    }
  }

  /** Whether the BullMQ worker is consuming. */
  running(): boolean {
    return this.#worker.isRunning();
  }

  /** Stops taking jobs and waits for those in flight; `force` abandons them (they are retried). */
  async close(force = false): Promise<void> {
    await this.#worker.close(force);
    await this.#queue.close();
    await this.#sink.close();
  }
}
