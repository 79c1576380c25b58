import type { HeraldConfig } from '@herald/config';
import { Redis } from 'ioredis';
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

/** A running worker: fan-out plus one delivery worker per enabled endpoint. */
export interface RunningWorker {
  /** Names of the endpoints delivered to. */
  readonly endpoints: readonly string[];
  /** Whether every BullMQ worker is consuming (for /readyz). */
  running(): boolean;
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
  const statsRedis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
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
  const endpoints = config.endpoints.filter((endpoint) => !endpoint.disabled);
  const deliveries = endpoints.map((endpoint) => {
    const log = logger.child({ component: 'delivery', endpoint: endpoint.name });
    if (endpoint.tls.insecureSkipVerify) log.warn('tls.insecureSkipVerify is set: the server certificate is not checked');
    // The sink's socket pool must match the worker's concurrency, or requests queue for a socket.
    const concurrency = endpoint.ordered ? 1 : (endpoint.concurrency ?? config.worker.concurrency);
    const sinkOptions = { userAgent: `herald/${VERSION}`, listener, logger };
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
  });
  await Promise.all(deliveries.map((delivery) => delivery.start()));
  const fanOut = new FanOut(endpoints, { ...shared, concurrency: config.worker.concurrency, logger: logger.child({ component: 'fan-out' }) });
  await fanOut.start();
  const routes = new RoutesPublisher(statsRedis, endpoints, { prefix: config.redis.prefix, logger: logger.child({ component: 'routes' }) });
  await routes.start();
  await adviseOnRedis(statsRedis, logger.child({ component: 'redis' }));
  let closing: Promise<void> | undefined;
  return {
    endpoints: endpoints.map((endpoint) => endpoint.name),
    running: () => fanOut.running() && deliveries.every((delivery) => delivery.running()),
    close: () =>
      (closing ??= (async () => {
        routes.close();
        await Promise.all([fanOut.close(), ...deliveries.map((delivery) => delivery.close())]);
        await stats.close();
        await statsRedis.quit().catch(() => statsRedis.disconnect());
      })()),
  };
}
