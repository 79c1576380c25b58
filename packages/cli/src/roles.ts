import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerBoard, type Board } from '@herald/board';
import { ConfigError, credentialsRequiredOffLoopback, isLoopbackHost, redactUrl, type HeraldConfig } from '@herald/config';
import { IngestMetrics, registerIngest } from '@herald/ingest';
import { createProducer, reconnectDelayMs } from '@herald/producer';
import { readFleetStatus, registerQueueDepth, startWorker, type RunningWorker } from '@herald/worker';
import { debugVars } from './server/debug-vars.js';
import { createProcessServer, type ReadinessCheck } from './server/process-server.js';
import { VERSION } from './version.js';

/** What a Herald process runs. `herald start` runs all three. */
export type Role = 'ingest' | 'worker' | 'board';

/** A running Herald process: its HTTP server, what it printed, and how to stop it. */
export interface RunningRoles {
  readonly app: FastifyInstance;
  /** One line per role saying where it listens and what it delivers to; no secrets. */
  readonly lines: string[];
  /** Where the HTTP server listens. */
  readonly url: string;
  /**
   * Takes a new config without dropping work in flight: the worker starts, stops and
   * restarts endpoints, the board shows the new ones, /metrics and /debug/vars follow.
   * Settings a running process cannot change are named in `restartNeeded`.
   */
  reload(config: HeraldConfig): Promise<ReloadResult>;
  /** Stops taking work, finishes what is in flight, closes connections. */
  close(): Promise<void>;
}

/** What a reload did. */
export interface ReloadResult {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  /** Keys whose new value takes effect only at the next start (redis.url, http.port, ...). */
  readonly restartNeeded: readonly string[];
}

/** Settings a reload applies; every other key needs a restart. */
const RELOADABLE = new Set(['endpoints', 'source', 'log']);

/** The keys of `next` (one level down: `http.port`) that differ from `current` and a reload cannot apply. */
function restartNeeded(current: HeraldConfig, next: HeraldConfig): string[] {
  const keys: string[] = [];
  for (const section of Object.keys(next) as (keyof HeraldConfig)[]) {
    if (RELOADABLE.has(section)) continue;
    const before = current[section] as unknown as Record<string, unknown>;
    const after = next[section] as unknown as Record<string, unknown>;
    for (const key of Object.keys(after)) if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) keys.push(`${section}.${key}`);
  }
  return keys;
}

/** prom-client's default gauges named like counters; `promtool check metrics` refuses them. */
const LINT_FAILING_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Starts the roles of a Herald process on one HTTP server (config `http.host`/`http.port`),
 * which also serves /healthz, /readyz, /metrics and /debug/vars.
 */
export async function startRoles(config: HeraldConfig, logger: Logger, roles: ReadonlySet<Role>): Promise<RunningRoles> {
  const registry = new Registry();
  // Node's process metrics under the names prom-client gives them (process_*, nodejs_*),
  // which the standard Node.js dashboards and alerts expect; Herald's own are herald_*.
  collectDefaultMetrics({ register: registry });
  // Except three gauges whose `_total` suffix Prometheus reserves for counters (promtool
  // refuses them); the per-type gauges nodejs_active_{handles,requests,resources} remain.
  for (const name of LINT_FAILING_DEFAULT_METRICS) registry.removeSingleMetric(name);
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: reconnectDelayMs });
  redis.on('error', () => {});
  let current = config;
  const endpointNames = () => current.endpoints.map((endpoint) => endpoint.name);
  const readiness: ReadinessCheck[] = [{ name: 'redis', check: async () => (await redis.ping()) === 'PONG' }];
  const app = createProcessServer({
    logger,
    registry,
    readiness,
    bodyLimit: config.ingest.maxBodyBytes,
    debugVars: async () =>
      debugVars(current.endpoints, await readFleetStatus(redis, config.redis.prefix, endpointNames()), {
        herald: { version: VERSION, roles: [...roles] },
      }),
  });
  const closeQueueDepth = registerQueueDepth(registry, redis, config.redis.prefix, endpointNames);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    await app.close();
    for (const close of closers) await close();
    await closeQueueDepth();
    redis.disconnect();
  };
  let started: Started;
  try {
    started = await startEach(config, logger, roles, { app, registry, readiness, closers });
  } catch (error) {
    await closeAll().catch(() => {});
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    app,
    lines: started.lines,
    url: started.base,
    reload: async (next) => {
      const result = (await started.worker?.reload(next)) ?? { added: [], removed: [], changed: [] };
      started.board?.setEndpoints(next.endpoints);
      const restart = restartNeeded(current, next);
      logger.level = next.log.level;
      current = next;
      return { ...result, restartNeeded: restart };
    },
    close: () => (closing ??= closeAll()),
  };
}

/**
 * Ingest off loopback takes a token unless the config opens it on purpose
 * (`ingest.allowAnonymous`): the same rule as the board's login. Throws ConfigError naming
 * `ingest.token` before anything listens.
 */
function checkIngestExposure(config: HeraldConfig): void {
  if (config.ingest.token !== '' || Object.keys(config.ingest.tokens).length > 0 || config.ingest.allowAnonymous) return;
  const exposed = credentialsRequiredOffLoopback(
    config.http.host,
    'ingest.token',
    'anyone who can reach the port can send events',
    'ingest.allowAnonymous',
  );
  if (exposed !== undefined) throw new ConfigError([exposed]);
}

/** What startEach started, for reloads. */
interface Started {
  readonly base: string;
  readonly lines: string[];
  readonly worker?: RunningWorker;
  readonly board?: Board;
}

interface Shared {
  readonly app: FastifyInstance;
  readonly registry: Registry;
  readonly readiness: ReadinessCheck[];
  readonly closers: (() => Promise<void>)[];
}

/**
 * Starts each role on the shared server, the board first (it refuses unsafe settings
 * before anything else opens), then listens. Returns the server's URL and one line per role.
 */
async function startEach(config: HeraldConfig, logger: Logger, roles: ReadonlySet<Role>, shared: Shared): Promise<Started> {
  const { app, registry, readiness, closers } = shared;
  const lines: Array<(base: string) => string> = [];
  let board: Board | undefined;
  let worker: RunningWorker | undefined;
  if (roles.has('board')) {
    board = await registerBoard(app, {
      redisUrl: config.redis.url,
      prefix: config.redis.prefix,
      endpoints: config.endpoints,
      username: config.board.username,
      password: config.board.password,
      readOnly: config.board.readOnly,
      host: config.http.host,
      logger,
    });
    closers.push(() => board!.close());
    const auth = config.board.username === '' ? 'no login: loopback only' : `login as ${config.board.username}`;
    lines.push((base) => `board: ${base}${board!.basePath} (${auth}${config.board.readOnly ? ', read-only' : ''})`);
  }
  if (roles.has('ingest')) {
    checkIngestExposure(config);
    const producer = createProducer({ redis: config.redis.url, prefix: config.redis.prefix, logger });
    await registerIngest(app, { sink: producer, token: config.ingest.token, tokens: config.ingest.tokens, maxBodyBytes: config.ingest.maxBodyBytes, listener: new IngestMetrics(registry) });
    closers.push(() => producer.close());
    const named = Object.keys(config.ingest.tokens);
    const auth = named.length > 0 ? `send Authorization: Bearer <a token: ${[...(config.ingest.token === '' ? [] : ['ingest.token']), ...named].join(', ')}>` : config.ingest.token !== '' ? 'send Authorization: Bearer <ingest.token>' : isLoopbackHost(config.http.host) ? 'no token: loopback only' : 'no token: open to anyone who can reach it (ingest.allowAnonymous)';
    lines.push((base) => `ingest: POST events to ${base}/events (${auth})`);
  }
  if (roles.has('worker')) {
    const running = await startWorker({ config, logger, lockDurationMs: config.worker.lockDurationMs, metrics: registry });
    worker = running;
    readiness.push({ name: 'worker', check: async () => running.running() });
    closers.unshift(() => running.close());
    const names = running.endpoints.length === 0 ? 'no endpoints (add some to the config)' : worker.endpoints.join(', ');
    lines.push(() => `worker: delivering to ${names} from ${redactUrl(config.redis.url)} (prefix "${config.redis.prefix}")`);
  }
  lines.push((base) => `health: ${base}/healthz, ${base}/readyz, ${base}/metrics, ${base}/debug/vars`);
  await app.listen({ host: config.http.host, port: config.http.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
  const base = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`;
  return { base, lines: lines.map((line) => line(base)), ...(worker === undefined ? {} : { worker }), ...(board === undefined ? {} : { board }) };
}
