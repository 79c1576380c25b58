import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { formatDuration, type EndpointConfig } from '@herald/config';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent, withTraceparent, type Event, type Sink } from '@herald/events';
import {
  acceptedAtOf,
  endpointQueueName,
  sizedDeliveryEvents,
  EventCodecError,
  keepDeliveredJobs,
  slotPerQueue,
  UNLIMITED_ATTEMPTS,
  type DeliveryJobData,
  type RedisConnectionSettings,
} from '@herald/producer';
import type { Logger } from 'pino';
import { givesUp, retryDelay, type RetryPolicy } from './backoff.js';
import { sendBatch, type BatchItem, type BatchOutcome } from './batch-send.js';
import { BatchLocks } from './batch-locks.js';
import { DeliveryQueueWorker, peekNextInLine, takeWaiting } from './batch-taker.js';
import { DeliveredAhead } from './delivered-ahead.js';
import { DeliveryExpiredError, DeliveryRetryError } from './delivery-errors.js';
import { isEndpointWide } from './endpoint-errors.js';
import { WorkerConnections } from './redis-connection.js';
import { deliveryLockMs } from './delivery-lock.js';

type DeliveryJob = Job<DeliveryJobData>;

/** Told when a delivery is given up, so it is counted: nothing is dropped silently. */
export interface ExpiryListener {
  onExpired(endpoint: string, events: readonly Event[], error: Error): void;
}

/** Told when a batch the endpoint refused is halved, so splits are counted. */
export interface SplitListener {
  onSplit(endpoint: string, events: number): void;
}

/** Told of each delivery answered 2xx, with the time from its acceptance to that answer. */
export interface LatencyListener {
  onDelivered(endpoint: string, latencyMs: number): void;
}

/** Told when an endpoint paused itself (it answered 410 Gone), so it is counted. */
export interface PauseListener {
  onAutoPaused(endpoint: string, status: number): void;
}

/** Options of DeliveryWorker. */
export interface DeliveryWorkerOptions {
  /** The Redis of Herald's queues (`redis.*`): one server, a Redis Cluster or Sentinel. */
  redis: RedisConnectionSettings;
  /** Prefix of Herald's Redis keys. @defaultValue 'herald' */
  prefix?: string;
  /** Deliveries in flight in this process; ordered endpoints always use 1. */
  concurrency: number;
  /** BullMQ lock of a delivery job, in ms; a crashed worker's job is retried within twice this long. 0: the longer of 5 s and the endpoint's timeout (delivery-lock.ts). @defaultValue 0 */
  lockDurationMs?: number;
  /** How long delivered deliveries are kept, in ms (`worker.history`); 0 keeps the last 1,000. @defaultValue 0 */
  historyMs?: number;
  /** Most delivered deliveries kept within historyMs (`worker.historyLimit`). @defaultValue 100000 */
  historyLimit?: number;
  /** Told of every delivery given up. */
  expiryListener?: ExpiryListener;
  /** Told of every refused batch halved. */
  splitListener?: SplitListener;
  /** Told of every delivery answered 2xx, with its latency from acceptance. */
  latencyListener?: LatencyListener;
  /** Told when the endpoint is paused for answering 410 Gone. */
  pauseListener?: PauseListener;
  /** Sends replayed deliveries (`herald replay --since`), marking the request as a replay. @defaultValue the sink */
  replaySink?: Sink;
  /** Component logger. */
  logger: Logger;
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

/** The job's events; throws UnrecoverableError (the job cannot ever be sent) when no release can decode them. */
function eventsOf(job: DeliveryJob): Event[] {
  return sizedEventsOf(job).events;
}

/** The job's events and their JSON size, as a batch item; throws as eventsOf does. */
function itemOf(job: DeliveryJob): BatchItem<DeliveryJob> {
  const { events, jsonBytes } = sizedEventsOf(job);
  return { item: job, events, jsonBytes };
}

function sizedEventsOf(job: DeliveryJob): { events: Event[]; jsonBytes: number } {
  try {
    return sizedDeliveryEvents(job.data);
  } catch (error) {
    if (!(error instanceof EventCodecError)) throw error;
    throw Object.assign(new UnrecoverableError(error.message), { cause: error });
  }
}

/** What an endpoint answers to say it is gone for good: Herald pauses it. */
const GONE = 410;

/** Failed attempts a delivery's log keeps (a BullMQ job log, shown by the board), the latest last. */
export const ATTEMPT_LOG_LENGTH = 5;

/** Most batches one processor sends in a row, the later ones taken by the completions of the earlier. */
const MAX_ROUNDS = 16;

/** Whether a delivery repeats another (`herald replay --since`). */
function isReplay(job: DeliveryJob): boolean {
  return typeof (job.data as { replayOf?: unknown }).replayOf === 'string';
}

/** Oldest accepted first; ties by job id, so any worker orders the same deliveries alike. */
function byAcceptance(a: BatchItem<DeliveryJob>, b: BatchItem<DeliveryJob>): number {
  return acceptedAtOf(a.item) - acceptedAtOf(b.item) || (a.item.id! < b.item.id! ? -1 : a.item.id! > b.item.id! ? 1 : 0);
}

/**
 * DeliveryWorker consumes one endpoint's queue and hands each job's events to the
 * endpoint's sink (one POST attempt); it owns the retry decision and leaves the HTTP
 * to the sink. A failed attempt is retried per the endpoint's policy until `maxage`,
 * then the job stays in the failed set for replay. For an ordered endpoint, one job at
 * a time runs across the whole fleet and a failing job keeps its place at the head.
 *
 * With `maxbatch` above 1, the job a worker takes heads a batch: the worker also takes
 * up to `maxbatch - 1` deliveries already waiting (never waiting for more) and sends
 * their events together (sendBatch); each delivery is then completed, retried or given
 * up on its own. Behind an ordered head the next in line are sent without being taken
 * (nobody else can take them), and complete when their turn comes (DeliveredAhead).
 */
export class DeliveryWorker {
  readonly #endpoint: EndpointConfig;
  readonly #sink: Sink;
  readonly #replaySink: Sink;
  readonly #queue: Queue<DeliveryJobData>;
  /** Clients made for a Redis Cluster, ended after the queue and worker. */
  readonly #connections: WorkerConnections;
  readonly #worker: DeliveryQueueWorker;
  readonly #policy: RetryPolicy;
  readonly #log: Logger;
  readonly #expiryListener: ExpiryListener | undefined;
  readonly #splitListener: SplitListener | undefined;
  readonly #latencyListener: LatencyListener | undefined;
  readonly #pauseListener: PauseListener | undefined;
  readonly #lockDurationMs: number;
  readonly #deliveredAhead: DeliveredAhead;
  /** Endpoint-wide failures in a row in this process; at `threshold` the endpoint pauses. */
  #failuresInARow = 0;
  /** Set by close(): no batch fetches more work. */
  #closing = false;
  /** A pause for a 410 is under way: the other 410s of the burst add nothing. */
  #pausingForGone = false;

  constructor(endpoint: EndpointConfig, sink: Sink, options: DeliveryWorkerOptions) {
    this.#endpoint = endpoint;
    this.#sink = sink;
    this.#replaySink = options.replaySink ?? sink;
    this.#policy = endpoint;
    this.#log = options.logger;
    this.#expiryListener = options.expiryListener;
    this.#splitListener = options.splitListener;
    this.#latencyListener = options.latencyListener;
    this.#pauseListener = options.pauseListener;
    this.#lockDurationMs = deliveryLockMs(endpoint, options.lockDurationMs);
    this.#connections = new WorkerConnections(options.redis);
    const prefix = options.prefix ?? 'herald';
    // On a Redis Cluster, the queue is a hash tag: a slot of its own (queue-layout.ts).
    const name = endpointQueueName(endpoint.name, slotPerQueue(options.redis, prefix));
    // A batch takes and settles its deliveries with one script each, all sent in the same
    // tick: auto-pipelining writes them to the socket together instead of one write each.
    const connection = () => this.#connections.next({ enableAutoPipelining: endpoint.maxBatch > 1 });
    this.#queue = new Queue<DeliveryJobData>(name, { connection: connection(), prefix });
    this.#queue.on('error', () => {});
    this.#deliveredAhead = new DeliveredAhead(this.#queue);
    this.#worker = new DeliveryQueueWorker(name, (job, token) => this.#deliver(job, token ?? ''), {
      connection: connection(),
      prefix,
      concurrency: endpoint.ordered ? 1 : options.concurrency,
      lockDuration: this.#lockDurationMs,
      // Checked twice per lock: a killed worker's delivery goes out again within 1.5 locks (delivery-lock.ts).
      stalledInterval: this.#lockDurationMs / 2,
      maxStalledCount: UNLIMITED_ATTEMPTS,
      ...keepDeliveredJobs(options.historyMs ?? 0, options.historyLimit ?? 100_000),
      limiter: PAUSE_ONLY_LIMITER,
      autorun: false,
      settings: {
        backoffStrategy: (_attempts: number, _type?: string, error?: Error) =>
          error instanceof DeliveryRetryError ? error.delayMs : endpoint.backoffMs,
      },
    });
    this.#worker.on('error', (error) => this.#log.warn({ err: error }, 'delivery worker error'));
  }

  /**
   * Sets the fleet-wide limit of an ordered endpoint (or lifts the one an endpoint kept
   * from when it was ordered), then starts consuming.
   */
  async start(): Promise<void> {
    if (this.#endpoint.ordered) await this.#queue.setGlobalConcurrency(1);
    else if ((await this.#queue.getGlobalConcurrency()) === 1) {
      await this.#queue.removeGlobalConcurrency();
      this.#log.info('endpoint is no longer ordered: lifted its fleet-wide limit of one delivery at a time');
    }
    void this.#worker.run().catch((error: unknown) => this.#log.error({ err: error }, 'delivery worker stopped'));
  }

  async #deliver(head: DeliveryJob, token: string): Promise<void> {
    const first = this.#decodable(head);
    if (this.#endpoint.ordered) return this.#deliverOrdered(head, first);
    return this.#deliverShared(head, first, token);
  }

  /** The head as a batch item, or the job to the failed set at once (logged at error) when no release can decode it. */
  #decodable(job: DeliveryJob): BatchItem<DeliveryJob> {
    try {
      return itemOf(job);
    } catch (error) {
      this.#logUndecodable(job, error);
      throw error;
    }
  }

  #logUndecodable(job: DeliveryJob, error: unknown): void {
    this.#log.error({ err: (error as Error).cause ?? error, jobId: job.id }, 'delivery cannot be decoded, kept in the failed set');
  }

  /**
   * A shared endpoint: the head, and as many waiting deliveries as maxbatch allows, taken
   * and settled one by one. While the endpoint takes whole batches and the queue fills
   * them, the completions of one batch take the next batch's deliveries in the same
   * scripts (BullMQ's fetch-next), for up to MAX_ROUNDS batches; the last takes nothing.
   */
  async #deliverShared(head: DeliveryJob, first: BatchItem<DeliveryJob>, token: string): Promise<void> {
    const full = this.#endpoint.maxBatch - 1;
    let more = full > 0 ? await this.#takeWaiting(token) : [];
    let headFailure: Error | undefined;
    for (let round = 1; ; round += 1) {
      const batch = round === 1 ? [first, ...more] : more;
      // Acceptance order, and the same order for the same deliveries however they were
      // taken: a batch retried unchanged keeps its body and its webhook-id.
      if (batch.length > 1) batch.sort(byAcceptance);
      const locks = new BatchLocks(this.#worker, batch.map((entry) => entry.item).filter((job) => job !== head), token, this.#lockDurationMs, (error, ids) =>
        this.#log.warn({ err: error, jobIds: ids }, 'could not renew the locks of a batch; those deliveries go back to the queue'),
      );
      let outcome: BatchOutcome<DeliveryJob>;
      try {
        outcome = await this.#send(batch, false);
      } finally {
        locks.stop();
      }
      this.#countForBreaker(outcome);
      const again = round < MAX_ROUNDS && more.length >= Math.max(1, full - 1) && outcome.failed.length === 0 && !this.#closing;
      const settled = await this.#settleShared(head, outcome, token, locks.lost, again);
      if (round === 1) headFailure = settled.headFailure;
      // Every job fetched is ours to send: `again` guarantees a next round for them.
      if (settled.fetched.length === 0) break;
      more = await this.#decodeTaken(settled.fetched, token);
    }
    if (headFailure !== undefined) throw headFailure;
  }

  /** Waiting deliveries taken to join the head's batch; on an error, what was taken (the head may go alone). */
  async #takeWaiting(token: string): Promise<BatchItem<DeliveryJob>[]> {
    const taken = await takeWaiting(this.#worker, this.#queue, token, this.#endpoint.maxBatch - 1, (error) =>
      this.#log.warn({ err: error }, 'could not take waiting deliveries into a batch; sending what was taken'),
    );
    return this.#decodeTaken(taken, token);
  }

  /** Taken deliveries as batch items; one no release can decode goes to the failed set at once. */
  async #decodeTaken(taken: readonly DeliveryJob[], token: string): Promise<BatchItem<DeliveryJob>[]> {
    const more: BatchItem<DeliveryJob>[] = [];
    for (const job of taken) {
      try {
        more.push(itemOf(job));
      } catch (error) {
        this.#logUndecodable(job, error);
        await job.moveToFailed(error as Error, token, false).catch(() => {});
      }
    }
    return more;
  }

  /**
   * Sends a batch through the endpoint's sink, and its replayed deliveries through the
   * replay sink (their requests carry `Herald-Replay: true`); an ordered batch is never mixed.
   */
  async #send(batch: BatchItem<DeliveryJob>[], ordered: boolean): Promise<BatchOutcome<DeliveryJob>> {
    // One span per attempt, child of the first traced delivery's context and linked to the
    // others'; its context goes out as the request's traceparent. Without an OpenTelemetry
    // SDK the span records nothing and the delivery's own traceparent goes out unchanged.
    const traced = batch.map((entry) => parseTraceparent(entry.item.data.tp)).filter((context) => context !== undefined);
    const parent = traced[0] === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, traced[0]);
    // Asked for at each attempt, so that an SDK registered (or replaced) later is used.
    const span = trace.getTracer('herald').startSpan(
      'herald.deliver',
      {
        kind: SpanKind.CLIENT,
        attributes: { 'herald.endpoint': this.#endpoint.name, 'herald.deliveries': batch.length, 'herald.events': batch.reduce((sum, entry) => sum + entry.events.length, 0) },
        links: traced.slice(1).map((context) => ({ context })),
      },
      parent,
    );
    try {
      const outcome = await withTraceparent(formatTraceparent(span.spanContext()), () => this.#sendThrough(batch, ordered));
      span.setAttributes({ 'herald.delivered': outcome.delivered.length, 'herald.failed': outcome.failed.length });
      if (outcome.failed.length > 0) span.setStatus({ code: SpanStatusCode.ERROR, message: String((outcome.failed[0]!.error as Error)?.message ?? outcome.failed[0]!.error) });
      return outcome;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  async #sendThrough(batch: BatchItem<DeliveryJob>[], ordered: boolean): Promise<BatchOutcome<DeliveryJob>> {
    const options = { maxBytes: this.#endpoint.maxBatchBytes, ordered, onSplit: (count: number) => this.#onSplit(count) };
    const replayed = batch.filter((entry) => isReplay(entry.item));
    if (replayed.length === 0) return sendBatch(this.#sink, batch, options);
    if (replayed.length === batch.length) return sendBatch(this.#replaySink, batch, options);
    const [fresh, again] = await Promise.all([
      sendBatch(this.#sink, batch.filter((entry) => !isReplay(entry.item)), options),
      sendBatch(this.#replaySink, replayed, options),
    ]);
    return {
      delivered: [...fresh.delivered, ...again.delivered],
      failed: [...fresh.failed, ...again.failed],
      unsent: [...fresh.unsent, ...again.unsent],
      splits: fresh.splits + again.splits,
    };
  }

  #onSplit(events: number): void {
    this.#log.warn({ events }, 'endpoint refused a batch with a 4xx; sending each half on its own');
    this.#splitListener?.onSplit(this.#endpoint.name, events);
  }

  /** One request that got through resets the count; a batch that met an endpoint-wide failure adds one. */
  #countForBreaker(outcome: BatchOutcome<DeliveryJob>): void {
    if (outcome.failed.some((failure) => isEndpointWide(failure.error))) this.#failuresInARow += 1;
    else if (outcome.delivered.length > 0) this.#failuresInARow = 0;
  }

  /**
   * Completes, retries or gives up each delivery of a batch from a shared queue, and
   * returns the head's failure (the processor throws it) and, with `fetchNext`, the jobs
   * the completions took for the next batch. Deliveries whose lock was lost meanwhile are
   * left alone: BullMQ has handed them back to the queue.
   */
  async #settleShared(
    head: DeliveryJob,
    outcome: BatchOutcome<DeliveryJob>,
    token: string,
    lost: ReadonlySet<string>,
    fetchNext: boolean,
  ): Promise<{ headFailure: Error | undefined; fetched: DeliveryJob[] }> {
    let headFailure: Error | undefined;
    let breakerDelayMs: number | undefined;
    const moves: Promise<unknown>[] = [];
    const fetching: Promise<DeliveryJob | undefined>[] = [];
    const ours = (job: DeliveryJob) => job === head || !lost.has(job.id!);
    for (const job of outcome.delivered) {
      if (job === head || !ours(job)) continue;
      if (fetchNext) fetching.push(job.moveToCompleted(undefined, token, true).then((result) => this.#worker.fetched(result, token)));
      else moves.push(job.moveToCompleted(undefined, token, false));
    }
    for (const { item: job, error } of outcome.failed) {
      if (!ours(job)) continue;
      const failure = this.#failureOf(job, eventsOf(job), error);
      if (failure instanceof DeliveryRetryError && isEndpointWide(error)) breakerDelayMs ??= failure.delayMs;
      if (job === head) headFailure = failure;
      else moves.push(job.moveToFailed(failure, token, false));
    }
    this.#delivered(outcome.delivered);
    // Like distribution's breaker: after `threshold` endpoint-wide failures in a row, the
    // whole endpoint waits out the backoff instead of every pending job trying on its own.
    if (breakerDelayMs !== undefined && this.#failuresInARow >= this.#endpoint.threshold) moves.push(this.#worker.rateLimit(breakerDelayMs));
    const [settled, fetchedResults] = await Promise.all([Promise.allSettled(moves), Promise.allSettled(fetching)]);
    const fetched: DeliveryJob[] = [];
    for (const result of [...settled, ...fetchedResults]) {
      // A lost lock: the job was handed back to the fleet and will be sent again.
      if (result.status === 'rejected') this.#log.warn({ err: result.reason }, 'could not settle a delivery of the batch; it will be retried');
      else if (result.value instanceof Job) fetched.push(result.value as DeliveryJob);
    }
    return { headFailure, fetched };
  }

  /**
   * An ordered endpoint: the head (the only active delivery fleet-wide), and behind it the
   * next in line, sent without being taken. Whatever goes wrong, the head keeps its place
   * at the front of the queue: only a RateLimitError (back to the head) or an
   * UnrecoverableError (given up, or undecodable) leaves this method.
   */
  async #deliverOrdered(head: DeliveryJob, first: BatchItem<DeliveryJob>): Promise<void> {
    let kept: Error | undefined;
    try {
      const batching = this.#endpoint.maxBatch > 1;
      if (batching && (await this.#claimDeliveredAhead(head))) return;
      const behind = batching ? await this.#nextInLine() : [];
      // A batch is all replays or none: it goes out with one set of headers.
      const change = behind.findIndex((entry) => isReplay(entry.item) !== isReplay(head));
      const batch = [first, ...(change < 0 ? behind : behind.slice(0, change))];
      const outcome = await this.#send(batch, true);
      const [firstFailure] = outcome.failed;
      if (firstFailure?.item === head) {
        const failure = this.#failureOf(head, first.events, firstFailure.error);
        if (!(failure instanceof DeliveryRetryError)) throw (kept = failure);
        await this.#pause(failure.delayMs);
        throw (kept = Worker.RateLimitError());
      }
      // The head is delivered: those sent behind it complete at their turn without a POST.
      await this.#recordDeliveredAhead(outcome.delivered.filter((job) => job !== head));
      this.#delivered(outcome.delivered);
      // A failure behind the head: the queue waits out that delivery's backoff before its turn.
      if (firstFailure !== undefined) await this.#pause(this.#inLineDelay(firstFailure.item, firstFailure.error));
    } catch (error) {
      if (error === kept) throw error;
      this.#log.warn({ err: error, jobId: head.id }, 'ordered delivery went wrong; the delivery keeps its place and is retried');
      await this.#pause(this.#endpoint.backoffMs);
      throw Worker.RateLimitError();
    }
  }

  /** Whether the head was delivered ahead of its turn; on a Redis error, no (it is sent again). */
  async #claimDeliveredAhead(head: DeliveryJob): Promise<boolean> {
    try {
      return await this.#deliveredAhead.claim(head);
    } catch (error) {
      this.#log.warn({ err: error, jobId: head.id }, 'could not read the deliveries sent ahead; sending this one again');
      return false;
    }
  }

  /** Records deliveries sent ahead; on a Redis error they are sent again at their turn. */
  async #recordDeliveredAhead(jobs: readonly DeliveryJob[]): Promise<void> {
    try {
      await this.#deliveredAhead.record(jobs);
    } catch (error) {
      this.#log.warn({ err: error, jobIds: jobs.map((job) => job.id) }, 'could not record deliveries sent ahead; they will be sent again');
    }
  }

  /** The next in line behind an ordered head, up to the first undecodable one; on a Redis error, none. */
  async #nextInLine(): Promise<BatchItem<DeliveryJob>[]> {
    let jobs: DeliveryJob[];
    try {
      jobs = await peekNextInLine(this.#queue, this.#endpoint.maxBatch - 1);
    } catch (error) {
      this.#log.warn({ err: error }, 'could not read the deliveries next in line; sending the head alone');
      return [];
    }
    const more: BatchItem<DeliveryJob>[] = [];
    for (const job of jobs) {
      // An undecodable one ends the batch: at its turn it goes to the failed set.
      try {
        more.push(itemOf(job));
      } catch {
        break;
      }
    }
    return more;
  }

  /**
   * The backoff of a delivery that failed behind an ordered head, sent without being taken:
   * its attempt number is the starts it had plus this one. It is logged, not given up: if
   * past `maxage`, it gives up at its own turn, as the head, where it can be moved.
   */
  #inLineDelay(job: DeliveryJob, error: unknown): number {
    const retry = job.attemptsStarted + 1;
    const delayMs = retryDelay(this.#policy, retry, retryAfterOf(error));
    this.#log.warn(
      { err: error, jobId: job.id, eventIds: eventsOf(job).map((e) => e.id), status: (error as { status?: number }).status, attempt: retry, retryInMs: delayMs },
      'delivery failed behind the head of an ordered endpoint; the queue waits',
    );
    return delayMs;
  }

  /** Pauses the endpoint fleet-wide (BullMQ rate limit); a Redis error is logged (the next attempt comes sooner). */
  async #pause(ms: number): Promise<void> {
    await this.#worker.rateLimit(ms).catch((error: unknown) => this.#log.warn({ err: error }, 'could not pause the endpoint'));
  }

  /** Reports each delivery answered 2xx: its latency from acceptance, and a debug line. */
  #delivered(jobs: readonly DeliveryJob[]): void {
    const now = Date.now();
    for (const job of jobs) this.#latencyListener?.onDelivered(this.#endpoint.name, now - acceptedAtOf(job));
    if (this.#log.isLevelEnabled('debug')) {
      for (const job of jobs) this.#log.debug({ jobId: job.id, eventIds: eventsOf(job).map((e) => e.id) }, 'delivered');
    }
  }

  /**
   * What a failed attempt of one delivery comes to: a DeliveryRetryError holding the
   * delay before its next attempt, or, past `maxage`, an UnrecoverableError that keeps it
   * in the failed set for replay (counted and logged at error).
   */
  #failureOf(job: DeliveryJob, events: readonly Event[], error: unknown): Error {
    if ((error as { status?: unknown })?.status === GONE) this.#pauseForGone();
    // Ordered jobs go back to the head without counting a failed attempt; count starts instead.
    const retry = this.#endpoint.ordered ? Math.max(1, job.attemptsStarted) : job.attemptsMade + 1;
    const delayMs = retryDelay(this.#policy, retry, retryAfterOf(error));
    const log = this.#log.child({ jobId: job.id, eventIds: events.map((e) => e.id) });
    if (givesUp(this.#policy, acceptedAtOf(job), Date.now(), delayMs)) {
      const expired = new DeliveryExpiredError(this.#endpoint.name, this.#policy.maxAgeMs, error);
      log.error({ err: error, attempt: retry }, 'delivery given up after maxage, kept in the failed set for replay');
      this.#logAttempt(job, retry, error, `given up: past maxage ${formatDuration(this.#policy.maxAgeMs)}, kept for herald replay`);
      this.#expiryListener?.onExpired(this.#endpoint.name, events, expired);
      return Object.assign(new UnrecoverableError(expired.message), { cause: expired });
    }
    log.warn(
      { err: error, status: (error as { status?: number }).status, attempt: retry, retryInMs: delayMs, nextRetryAt: new Date(Date.now() + delayMs).toISOString() },
      'delivery failed, retrying',
    );
    this.#logAttempt(job, retry, error, `next attempt in ${formatDuration(delayMs)}`);
    return new DeliveryRetryError(this.#endpoint.name, delayMs, error);
  }

  /**
   * Appends a failed attempt to the delivery's log, keeping the last ATTEMPT_LOG_LENGTH:
   * the attempt history an operator reads in the board. Best effort: a Redis error loses
   * a log line, never the delivery.
   */
  #logAttempt(job: DeliveryJob, attempt: number, error: unknown, then: string): void {
    const durationMs = (error as { durationMs?: unknown })?.durationMs;
    const took = typeof durationMs === 'number' ? ` after ${durationMs}ms` : '';
    const row = `${new Date().toISOString()} attempt ${attempt} failed${took}: ${(error as Error)?.message ?? String(error)}; ${then}`;
    Job.addJobLog(this.#queue, job.id!, row, ATTEMPT_LOG_LENGTH).catch((logError: unknown) =>
      this.#log.debug({ err: logError, jobId: job.id }, 'could not add to the attempt log'),
    );
  }

  /**
   * The endpoint answered 410 Gone: it says it will never take these events, which
   * Standard Webhooks reads as "stop sending". Pause it fleet-wide (the deliveries keep
   * their place, and this one is retried after `herald resume`), once per answer burst.
   */
  #pauseForGone(): void {
    if (this.#pausingForGone) return;
    this.#pausingForGone = true;
    void (async () => {
      try {
        // Already paused (by another worker's 410, or an operator): nothing to add.
        if (await this.#queue.isPaused()) return;
        await this.#queue.pause();
        this.#log.error(
          { status: GONE, resume: `herald resume --endpoint ${this.#endpoint.name}` },
          'endpoint answered 410 Gone: paused it fleet-wide; its deliveries wait until it is resumed',
        );
        this.#pauseListener?.onAutoPaused(this.#endpoint.name, GONE);
      } catch (error) {
        this.#log.warn({ err: error }, 'could not pause the endpoint after a 410 Gone; its deliveries keep retrying');
      } finally {
        this.#pausingForGone = false;
      }
    })();
  }

  /** Whether the BullMQ worker is consuming. */
  running(): boolean {
    return this.#worker.isRunning();
  }

  /** Stops taking jobs and waits for those in flight; `force` abandons them (they are retried). */
  async close(force = false): Promise<void> {
    this.#closing = true;
    await this.#worker.close(force);
    await this.#queue.close();
    await this.#connections.close();
    await this.#sink.close();
    if (this.#replaySink !== this.#sink) await this.#replaySink.close();
  }
}
