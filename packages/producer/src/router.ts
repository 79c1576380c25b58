import { Job, Queue } from 'bullmq';
import type { Event } from '@herald/events';
import type { Cluster, Redis } from 'ioredis';
import { DELIVERY_JOB, deliveriesOf, deliveryJobData, deliveryJobOptions, endpointQueueName } from './delivery-job.js';
import { ENVELOPE_JOB, ingressJobOptions, ingressQueueName } from './ingress-queue.js';
import { slotPerQueue } from './queue-layout.js';
import { compileRoutes, readRoutes, routesKey, type CompiledRoute } from './routes.js';

/**
 * Runs `send`, which issues Redis commands, with the connection's socket corked, so they
 * leave in one write instead of one per command. (A Cluster has no single socket.)
 */
function corked<T>(client: Redis | Cluster, send: () => T): T {
  const socket = (client as { stream?: { cork(): void; uncork(): void } }).stream;
  socket?.cork();
  try {
    return send();
  } finally {
    socket?.uncork();
  }
}

/** An envelope to enqueue: its id (envelopeJobId) and its events. */
export interface RoutedEnvelope {
  readonly id: string;
  readonly events: readonly Event[];
  /** W3C `traceparent` of the write, carried to each delivery. */
  readonly traceparent?: string;
  /** Who handed Herald the events, kept with each delivery. */
  readonly source?: string;
}

/** The routes as last read: their version and compiled filters, or none published yet. */
type KnownRoutes = { readonly version: string; readonly routes: readonly CompiledRoute[] } | { readonly version: null };

/** BullMQ's view of the connection: ioredis with its scripts loaded, kept by the queue's Redis backend. */
type RedisClient = Awaited<ReturnType<Queue['getBackend']>['client']>;

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
  /** On a Redis Cluster, each queue in a slot of its own; the adds of a batch then go to several masters. */
  readonly #slotPerQueue: boolean;
  #known: KnownRoutes | undefined;

  constructor(client: Redis | Cluster, options: RouterOptions) {
    this.#client = client;
    this.#options = options;
    this.#slotPerQueue = slotPerQueue(client, options.prefix);
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
    // Every command is sent in this tick, in order, on one connection, in one socket write:
    // one round trip. (Not an ioredis pipeline: building one copies every BullMQ script onto it, ~100 µs.)
    const client = await this.#client$();
    const [current] = await Promise.all(
      corked(this.#client, () => [
        client.hget(routesKey(this.#options.prefix), 'version'),
        ...(known.version === null ? this.#addToIngress(client, envelopes) : this.#addDeliveries(client, envelopes, known.routes)),
      ]),
    );
    if (current === known.version) return;
    await this.load();
    const now = this.#known!;
    if (known.version === null || now.version === null) return;
    const before = new Set(known.routes.map((route) => route.name));
    const added = now.routes.filter((route) => !before.has(route.name));
    if (added.length > 0) await Promise.all(corked(this.#client, () => this.#addDeliveries(client, envelopes, added)));
  }

  /** Closes the queue handles; the connection is the caller's. */
  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
  }

  #addDeliveries(client: RedisClient, envelopes: readonly RoutedEnvelope[], routes: readonly CompiledRoute[]): Promise<string>[] {
    const adds: Promise<string>[] = [];
    for (const { id, events, traceparent, source } of envelopes) {
      for (const { target, encoded } of deliveriesOf(events, routes)) {
        const data = deliveryJobData(encoded, undefined, traceparent, source);
        adds.push(new Job(this.#queue(endpointQueueName(target.name, this.#slotPerQueue)), DELIVERY_JOB, data, deliveryJobOptions(id), id).addJob(client));
      }
    }
    return adds;
  }

  #addToIngress(client: RedisClient, envelopes: readonly RoutedEnvelope[]): Promise<string>[] {
    const ingress = this.#queue(ingressQueueName(this.#slotPerQueue));
    return envelopes.map(({ id, events, traceparent, source }) => {
      const data = { events, ...(traceparent === undefined ? {} : { tp: traceparent }), ...(source === undefined ? {} : { src: source }) };
      return new Job(ingress, ENVELOPE_JOB, data, ingressJobOptions(id), id).addJob(client);
    });
  }

  /** The shared connection once BullMQ has loaded its scripts onto it. */
  #client$(): Promise<RedisClient> {
    return this.#queue(ingressQueueName(this.#slotPerQueue)).getBackend().client;
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
