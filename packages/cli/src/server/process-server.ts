import { createServer } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** One thing /readyz checks: a name and whether it holds. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean>;
}

/** Options of createProcessServer. */
export interface ProcessServerOptions {
  /** Root logger; the server logs under `component: "http"`. */
  logger: Logger;
  /** Prometheus registry served at /metrics. */
  registry: Registry;
  /** What /readyz checks; all must hold. */
  readiness: ReadinessCheck[];
  /** The /debug/vars document. */
  debugVars: () => Promise<Record<string, unknown>>;
  /** What /readyz adds as `warnings`: risks that do not make the process unready (a Redis without AOF, say). @defaultValue none */
  warnings?: (() => Promise<string[]>) | undefined;
  /** Largest request body any route accepts, in bytes. @defaultValue 1048576 */
  bodyLimit?: number;
}

/** Longest time a client may take to send a whole request, in ms. */
export const REQUEST_TIMEOUT_MS = 20_000;

/** Longest time a client may take to send the request headers, in ms. */
const HEADERS_TIMEOUT_MS = 10_000;

/** How often Node checks requests against those limits, in ms (its default is 30 s). */
const CONNECTIONS_CHECKING_INTERVAL_MS = 2000;

/** How long one readiness check may take, in ms. */
const CHECK_TIMEOUT_MS = 2000;

async function holds(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([check.check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The one HTTP server of a Herald process, with what every process serves:
 * `GET /healthz` (up), `GET /readyz` (Redis reachable, workers consuming; `warnings` on risks),
 * `GET /metrics` (Prometheus text) and `GET /debug/vars` (expvar JSON). Roles add
 * their routes (ingest's POST /events, the board) before it listens.
 */
export function createProcessServer(options: ProcessServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Herald logs what matters per route; no line per request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1_048_576,
    // A request whose body stops arriving is cut after this long instead of being held,
    // bytes and all, forever (fastify's default is no limit).
    serverFactory: (handler) =>
      createServer(
        { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS },
        handler,
      ),
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(options.readiness.map(async (check) => [check.name, await holds(check)] as const));
    const ready = results.every(([, ok]) => ok);
    const warnings = ready && options.warnings !== undefined ? await options.warnings().catch(() => []) : [];
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results), ...(warnings.length > 0 ? { warnings } : {}) });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(text);
  });
  app.get('/debug/vars', async () => options.debugVars());
  return app;
}
