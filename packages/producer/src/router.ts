import { Job, Queue, type IRedisTransaction } from 'bullmq';
import type { Event } from '@herald/events';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { DELIVERY_JOB, deliveryJobData, deliveryJobOptions, endpointQueueName } from './delivery-job.js';
import { encodeEvents } from './event-codec.js';
import { ENVELOPE_JOB, INGRESS_QUEUE, ingressJobOptions } from './ingress-queue.js';
import { compileRoutes, readRoutes, routesKey, type CompiledRoute } from './routes.js';

/** An envelope to enqueue: its id (envelopeJobId) and its events. */
export interface RoutedEnvelope {
  readonly id: string;
  readonly events: readonly Event[];
}

/** The routes as last read: their version and compiled filters, or none published yet. */
type KnownRoutes = { readonly version: string; readonly routes: readonly CompiledRoute[] } | { readonly version: null };

/** BullMQ's view of an ioredis pipeline (its scripts), plus the one plain command Router adds. */
type RedisPipeline = IRedisTransaction & Pick<ChainableCommander, 'hget'>;

/** Options of Router. */
export interface RouterOptions {
  /** Prefix of Herald's Redis keys. */
  prefix: string;
  /** Told of every queue's errors (they repeat the connection's). */
  onError: (error: Error) => void;
}

/**
 * Router adds, for each envelope, one delivery job to the queue of every routed endpoint
 * whose filter keeps at least one of its events — all envelopes of a batch in one Redis
 * round trip, which also reads the routes' version. When no worker has published routes
 * yet, the envelope goes whole to the ingress queue, which the workers fan out when they
 * start. It leaves validation, timeouts and connection state to QueueSink.
 */
export class Router {
  readonly #client: Redis | Cluster;
  readonly #options: RouterOptions;
  readonly #queues = new Map<string, Queue>();
  #known: KnownRoutes | undefined;

  constructor(client: Redis | Cluster, options: RouterOptions) {
    this.#client = client;
    this.#options = options;
  }

  /** Reads the routes now (a write would otherwise read them first). */
  async load(): Promise<void> {
    const table = await readRoutes(this.#client, this.#options.prefix);
    this.#known = table === undefined ? { version: null } : { version: table.version, routes: compileRoutes(table) };
  }

  /**
   * Enqueues the envelopes; resolves once Redis holds every job. When the routes changed
   * since they were read, reads them again and adds the envelopes to the endpoints that
   * are new, so that every write that starts after a change is routed by it.
   */
  async enqueue(envelopes: readonly RoutedEnvelope[]): Promise<void> {
    if (this.#known === undefined) await this.load();
    const known = this.#known!;
    const pipeline = await this.#pipeline();
    pipeline.hget(routesKey(this.#options.prefix), 'version');
    if (known.version === null) this.#addToIngress(pipeline, envelopes);
    else this.#addDeliveries(pipeline, envelopes, known.routes);
    const results = await this.#exec(pipeline);
    const version = results[0] as string | null;
    if (version === known.version) return;
    await this.load();
    const now = this.#known!;
    if (known.version === null || now.version === null) return;
    const before = new Set(known.routes.map((route) => route.name));
    const added = now.routes.filter((route) => !before.has(route.name));
    if (added.length === 0) return;
    const again = await this.#pipeline();
    this.#addDeliveries(again, envelopes, added);
    await this.#exec(again);
  }

  /** Closes the queue handles; the connection is the caller's. */
  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
  }

  #addDeliveries(pipeline: RedisPipeline, envelopes: readonly RoutedEnvelope[], routes: readonly CompiledRoute[]): void {
    for (const { id, events } of envelopes) {
      let whole: string | undefined;
      for (const route of routes) {
        const kept = events.filter(route.accepts);
        if (kept.length === 0) continue;
        const encoded = kept.length === events.length ? (whole ??= encodeEvents(events)) : encodeEvents(kept);
        void new Job(this.#queue(endpointQueueName(route.name)), DELIVERY_JOB, deliveryJobData(encoded), deliveryJobOptions(id), id).addJob(pipeline);
      }
    }
  }

  #addToIngress(pipeline: RedisPipeline, envelopes: readonly RoutedEnvelope[]): void {
    const ingress = this.#queue(INGRESS_QUEUE);
    for (const { id, events } of envelopes) void new Job(ingress, ENVELOPE_JOB, { events }, ingressJobOptions(id), id).addJob(pipeline);
  }

  async #exec(pipeline: RedisPipeline): Promise<unknown[]> {
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
    return results.map(([, value]) => value);
  }

  /** A pipeline on the shared connection once BullMQ has loaded its scripts onto it. */
  async #pipeline(): Promise<RedisPipeline> {
    return (await this.#queue(INGRESS_QUEUE).client).pipeline() as RedisPipeline;
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      // No version check: BullMQ's INFO at init, if it fails once (Redis gone mid-handshake),
      // leaves the queue broken for good. Herald needs Redis >= 6.2, checked by the workers.
      queue = new Queue(name, { connection: this.#client, prefix: this.#options.prefix, skipVersionCheck: true });
      queue.on('error', this.#options.onError);
      this.#queues.set(name, queue);
    }
    return queue;
  }
}
