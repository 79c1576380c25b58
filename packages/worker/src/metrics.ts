import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Event } from '@herald/events';
import { endpointQueueName, INGRESS_QUEUE, slotPerQueue, storedQueueName } from '@herald/producer';
import type { DeliveryListener } from './delivery-listener.js';
import type { ExpiryListener, LatencyListener, PauseListener, SplitListener } from './delivery-worker.js';
import { oldestPendingAcceptedAt } from './oldest-pending.js';

/**
 * DeliveryMetrics counts and times this process's delivery attempts per endpoint for
 * Prometheus (sum them over the fleet in your queries). Sinks report to it through
 * DeliveryListener and ExpiryListener; they never import it.
 */
export class DeliveryMetrics implements DeliveryListener, ExpiryListener, SplitListener, LatencyListener, PauseListener {
  readonly #events: Counter<'endpoint'>;
  readonly #requests: Counter<'endpoint'>;
  readonly #splits: Counter<'endpoint'>;
  readonly #successes: Counter<'endpoint'>;
  readonly #failures: Counter<'endpoint'>;
  readonly #errors: Counter<'endpoint'>;
  readonly #expired: Counter<'endpoint'>;
  readonly #autoPauses: Counter<'endpoint'>;
  readonly #statuses: Counter<'endpoint' | 'code'>;
  readonly #latency: Histogram<'endpoint' | 'outcome'>;
  readonly #deliveryLatency: Histogram<'endpoint'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['endpoint'], registers });
    this.#events = counter('herald_endpoint_events_total', 'Events handed to the endpoint, counting each attempt.');
    this.#requests = counter('herald_endpoint_requests_total', 'POST requests sent, counting each attempt; events_total / requests_total is the batching factor.');
    this.#splits = counter('herald_endpoint_batch_splits_total', 'Batches halved because the endpoint refused them with a 4xx that is not endpoint-wide.');
    this.#successes = counter('herald_endpoint_successes_total', 'Events delivered (2xx).');
    this.#failures = counter('herald_endpoint_failures_total', 'Events answered with a non-2xx status.');
    this.#errors = counter('herald_endpoint_errors_total', 'Events that got no answer: timeout, refused, reset, TLS.');
    this.#expired = counter('herald_endpoint_expired_total', 'Events given up after maxage, waiting in the failed set for replay.');
    this.#autoPauses = counter('herald_endpoint_auto_pauses_total', 'Times this process paused the endpoint because it answered 410 Gone (herald resume undoes it).');
    this.#statuses = new Counter({ name: 'herald_endpoint_responses_total', help: 'Responses by status code.', labelNames: ['endpoint', 'code'], registers });
    this.#latency = new Histogram({
      name: 'herald_delivery_attempt_duration_seconds',
      help: 'Time from the start of a delivery attempt to the status line or the error.',
      labelNames: ['endpoint', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#deliveryLatency = new Histogram({
      name: 'herald_delivery_latency_seconds',
      help: 'Time from the acceptance of a delivery (producer or ingest) to its 2xx, per delivery, retries and waiting included.',
      labelNames: ['endpoint'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21_600],
      registers,
    });
  }

  onDelivered(endpoint: string, latencyMs: number): void {
    this.#deliveryLatency.observe({ endpoint }, Math.max(0, latencyMs) / 1000);
  }

  onSuccess(endpoint: string, events: readonly Event[], status: number, durationMs: number): void {
    this.#attempt(endpoint, events, 'success', durationMs, status);
    this.#successes.inc({ endpoint }, events.length);
  }

  onFailure(endpoint: string, events: readonly Event[], status: number, durationMs: number): void {
    this.#attempt(endpoint, events, 'failure', durationMs, status);
    this.#failures.inc({ endpoint }, events.length);
  }

  onError(endpoint: string, events: readonly Event[], _error: Error, durationMs: number): void {
    this.#attempt(endpoint, events, 'error', durationMs);
    this.#errors.inc({ endpoint }, events.length);
  }

  onExpired(endpoint: string, events: readonly Event[]): void {
    this.#expired.inc({ endpoint }, events.length);
  }

  onAutoPaused(endpoint: string): void {
    this.#autoPauses.inc({ endpoint });
  }

  onSplit(endpoint: string): void {
    this.#splits.inc({ endpoint });
  }

  #attempt(endpoint: string, events: readonly Event[], outcome: string, durationMs: number, status?: number): void {
    this.#events.inc({ endpoint }, events.length);
    this.#requests.inc({ endpoint });
    if (status !== undefined) this.#statuses.inc({ endpoint, code: String(status) }, events.length);
    this.#latency.observe({ endpoint, outcome }, durationMs / 1000);
  }
}

/** Job states reported as queue depth. A paused queue's jobs are waiting (BullMQ 6 has no paused state). */
export const QUEUE_STATES = ['waiting', 'delayed', 'active', 'failed', 'prioritized'] as const;

/**
 * Registers `herald_queue_jobs{queue, state}`, read from Redis at each scrape: the depth
 * of the ingress queue and of every endpoint's queue (the fleet's, not this process's);
 * and per endpoint, `herald_endpoint_paused` (1 while paused fleet-wide) and
 * `herald_endpoint_oldest_pending_seconds` (age of the oldest pending delivery, 0 when none).
 * Queue handles are made at the first scrape (closing a BullMQ queue whose shared
 * connection never connected raises an unhandled error). Returns a function that closes them.
 */
export function registerQueueDepth(registry: Registry, redis: Redis | Cluster, prefix: string, endpoints: readonly string[] | (() => readonly string[])): () => Promise<void> {
  // A function of endpoints follows a live reload; handles are kept per queue name.
  const current = typeof endpoints === 'function' ? endpoints : () => endpoints;
  const handles = new Map<string, Queue>();
  const perSlot = slotPerQueue(redis, prefix);
  const queueOf = (name: string) => {
    let queue = handles.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection: redis, prefix, skipVersionCheck: true });
      queue.on('error', () => {});
      handles.set(name, queue);
    }
    return queue;
  };
  // Labels keep the plain names (`events`, `endpoint.<name>`) on a cluster too, so dashboards hold.
  let names: string[] = [];
  const open = () => {
    const endpointNames = current();
    names = [INGRESS_QUEUE, ...endpointNames.map((endpoint) => endpointQueueName(endpoint))];
    return names.map((name) => queueOf(storedQueueName(name, perSlot)));
  };
  const endpointQueues = () => current().map((endpoint) => ({ endpoint, queue: queueOf(endpointQueueName(endpoint, perSlot)) }));
  new Gauge({
    name: 'herald_queue_jobs',
    help: 'Jobs in each Herald queue by state, fleet-wide.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await Promise.all(open().map((queue) => queue.getJobCounts(...QUEUE_STATES)));
      counts.forEach((count, index) => {
        for (const state of QUEUE_STATES) this.set({ queue: names[index]!, state }, count[state] ?? 0);
      });
    },
  });
  new Gauge({
    name: 'herald_endpoint_paused',
    help: 'Whether the endpoint is paused fleet-wide (herald pause, the board, or a 410 Gone answer): 1 or 0.',
    labelNames: ['endpoint'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { endpoint, queue } of endpointQueues()) this.set({ endpoint }, (await queue.isPaused()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'herald_endpoint_oldest_pending_seconds',
    help: 'Age of the oldest delivery still pending for the endpoint, from its acceptance; 0 when none is pending.',
    labelNames: ['endpoint'],
    registers: [registry],
    async collect() {
      this.reset();
      const now = Date.now();
      for (const { endpoint, queue } of endpointQueues()) {
        const oldest = await oldestPendingAcceptedAt(queue);
        this.set({ endpoint }, oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000);
      }
    },
  });
  return async () => {
    await Promise.all([...handles.values()].map((queue) => queue.close()));
  };
}
