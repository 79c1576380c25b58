import type { EndpointConfig, HeraldConfig } from '@herald/config';
import { Redis } from 'ioredis';
import { reconnectDelayMs } from '@herald/producer';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { combineListeners } from './delivery-listener.js';
import { DeliveryMetrics } from './metrics.js';
import { DeliveryWorker } from './delivery-worker.js';
import { EndpointStats } from './endpoint-stats.js';
import { FanOut } from './fan-out.js';
import { HttpSink } from './http-sink.js';
import { REPLAY_HEADER } from './replay-window.js';
import { adviseOnRedis } from './redis-advice.js';
import { RoutesPublisher } from './routes-publisher.js';
import { VERSION } from './version.js';

/** Options of startWorker. */
export interface WorkerOptions {
  /** The process configuration: Redis, `worker.concurrency`, endpoints. */
  config: HeraldConfig;
  /** Root logger of the process; the worker logs through children of it. */
  logger: Logger;
  /** BullMQ job lock, in ms: a crashed worker's jobs run again after about this long. @defaultValue 30000 */
  lockDurationMs?: number;
  /** Prometheus registry to count and time delivery attempts in. @defaultValue none */
  metrics?: Registry;
}

/** What a reload changed: endpoint names added, removed, and changed in any key. */
export interface WorkerReload {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

/** A running worker: fan-out plus one delivery worker per enabled endpoint. */
export interface RunningWorker {
  /** Names of the endpoints delivered to. */
  readonly endpoints: readonly string[];
  /** Whether every BullMQ worker is consuming (for /readyz). */
  running(): boolean;
  /**
   * Takes a new config's endpoints: starts the added ones, stops the removed ones after
   * their deliveries in flight, restarts the changed ones the same way, and publishes the
   * new routes. Redis, the prefix and the worker settings stay those it started with.
   */
  reload(config: HeraldConfig): Promise<WorkerReload>;
  /**
   * Stops consuming, waits for the deliveries in flight (each bounded by its endpoint's
   * `timeout`), then closes connections. A process killed before that loses nothing:
   * its jobs are retried by other workers once their lock expires.
   */
  close(): Promise<void>;
}

/**
 * Starts a Herald worker: it publishes the routes (each enabled endpoint's name and
 * filter) that producers and ingest fan out by, delivers from each endpoint's queue, and
 * fans out whatever reaches the ingress queue (written before any routes existed, or by
 * Herald 0.1). Any number of workers may run
 * against the same Redis and prefix; jobs are shared between them.
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { config, logger } = options;
  const shared = { redisUrl: config.redis.url, prefix: config.redis.prefix, lockDurationMs: options.lockDurationMs };
  const statsRedis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, retryStrategy: reconnectDelayMs });
  statsRedis.on('error', () => {});
  const stats = new EndpointStats(statsRedis, { prefix: config.redis.prefix });
  const metrics = options.metrics === undefined ? undefined : new DeliveryMetrics(options.metrics);
  const listener = metrics === undefined ? stats : combineListeners(stats, metrics);
  const expiryListener = {
    onExpired: (...args: Parameters<EndpointStats['onExpired']>) => {
      stats.onExpired(...args);
      metrics?.onExpired(...args);
    },
  };
  // Reloaded with the endpoints: a change restarts every endpoint (fingerprintOf).
  let egress = config.egress;
  const fingerprintOf = (endpoint: EndpointConfig): string => JSON.stringify([endpoint, egress]);
  const deliveryOf = (endpoint: EndpointConfig): DeliveryWorker => {
    const log = logger.child({ component: 'delivery', endpoint: endpoint.name });
    if (endpoint.tls.insecureSkipVerify) log.warn('tls.insecureSkipVerify is set: the server certificate is not checked');
    // The sink's socket pool must match the worker's concurrency, or requests queue for a socket.
    const concurrency = endpoint.ordered ? 1 : (endpoint.concurrency ?? config.worker.concurrency);
    const sinkOptions = { userAgent: `herald/${VERSION}`, listener, logger, egress };
    const sink = new HttpSink({ ...endpoint, concurrency }, sinkOptions);
    // Replayed deliveries say so to the receiver; a replay is rare, so its own small pool.
    const replaySink = new HttpSink({ ...endpoint, concurrency, headers: { ...endpoint.headers, [REPLAY_HEADER]: ['true'] } }, sinkOptions);
    return new DeliveryWorker(endpoint, sink, {
      ...shared,
      concurrency,
      historyMs: config.worker.historyMs,
      historyLimit: config.worker.historyLimit,
      replaySink,
      expiryListener,
      ...(metrics === undefined ? {} : { splitListener: metrics, latencyListener: metrics, pauseListener: metrics }),
      logger: log,
    });
  };
  const fanOutOf = (endpoints: readonly EndpointConfig[]) =>
    new FanOut(endpoints, { ...shared, concurrency: config.worker.concurrency, logger: logger.child({ component: 'fan-out' }) });
  const publisherOf = (endpoints: readonly EndpointConfig[]) =>
    new RoutesPublisher(statsRedis, endpoints, { prefix: config.redis.prefix, logger: logger.child({ component: 'routes' }) });

  let endpoints = config.endpoints.filter((endpoint) => !endpoint.disabled);
  const deliveries = new Map<string, { readonly fingerprint: string; readonly worker: DeliveryWorker }>(
    endpoints.map((endpoint) => [endpoint.name, { fingerprint: fingerprintOf(endpoint), worker: deliveryOf(endpoint) }]),
  );
  await Promise.all([...deliveries.values()].map(({ worker }) => worker.start()));
  let fanOut = fanOutOf(endpoints);
  await fanOut.start();
  let routes = publisherOf(endpoints);
  await routes.start();
  await adviseOnRedis(statsRedis, logger.child({ component: 'redis' }));
  let closing: Promise<void> | undefined;
  // One reload at a time; close() waits for the one under way.
  let reloading: Promise<unknown> = Promise.resolve();

  const reload = async (next: HeraldConfig): Promise<WorkerReload> => {
    const wanted = next.endpoints.filter((endpoint) => !endpoint.disabled);
    egress = next.egress;
    const names = new Set(wanted.map((endpoint) => endpoint.name));
    const removed = [...deliveries.keys()].filter((name) => !names.has(name));
    const changed = wanted.filter((endpoint) => deliveries.has(endpoint.name) && deliveries.get(endpoint.name)!.fingerprint !== fingerprintOf(endpoint));
    const added = wanted.filter((endpoint) => !deliveries.has(endpoint.name));
    // Stop what goes away or changes first (after its deliveries in flight), then start
    // the new: a changed endpoint never has two workers of this process at once.
    const stopping = [...removed, ...changed.map((endpoint) => endpoint.name)].map((name) => {
      const { worker } = deliveries.get(name)!;
      deliveries.delete(name);
      return worker.close();
    });
    await Promise.all(stopping);
    for (const endpoint of [...changed, ...added]) deliveries.set(endpoint.name, { fingerprint: fingerprintOf(endpoint), worker: deliveryOf(endpoint) });
    await Promise.all([...changed, ...added].map((endpoint) => deliveries.get(endpoint.name)!.worker.start()));
    if (removed.length + changed.length + added.length > 0) {
      const [oldFanOut, oldRoutes] = [fanOut, routes];
      endpoints = wanted;
      fanOut = fanOutOf(endpoints);
      await fanOut.start();
      routes = publisherOf(endpoints);
      await routes.start();
      oldRoutes.close();
      await oldFanOut.close();
    }
    return { added: added.map((endpoint) => endpoint.name), removed, changed: changed.map((endpoint) => endpoint.name) };
  };

  return {
    get endpoints() {
      return endpoints.map((endpoint) => endpoint.name);
    },
    running: () => fanOut.running() && [...deliveries.values()].every(({ worker }) => worker.running()),
    reload: (next) => {
      const result = reloading.then(() => reload(next));
      reloading = result.catch(() => {});
      return result;
    },
    close: () =>
      (closing ??= (async () => {
        await reloading;
        routes.close();
        await Promise.all([fanOut.close(), ...[...deliveries.values()].map(({ worker }) => worker.close())]);
        await stats.close();
        await statsRedis.quit().catch(() => statsRedis.disconnect());
      })()),
  };
}
