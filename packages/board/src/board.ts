import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { endpointQueueName, INGRESS_QUEUE } from '@herald/producer';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { basicAuthHook } from './basic-auth.js';
import { BoardConnection } from './board-connection.js';
import { checkBoardOptions, withDefaults, type BoardOptions } from './board-options.js';
import { endpointLabel, INGRESS_LABEL, type QueueLabel } from './queue-labels.js';
import { readableJobData, readableJobName } from './readable-job.js';

/** How long an API request, or close(), waits for Redis to be connected, in ms. */
const REDIS_WAIT_MS = 2000;

/** A board mounted on a fastify instance. */
export interface Board {
  /** Names of the queues shown: each endpoint's in config order, then the ingress queue. */
  readonly queues: readonly string[];
  /** Full path the board is served at, prefix of the fastify instance included, e.g. `/board`. */
  readonly basePath: string;
  /** Closes the queues and the Redis connection; idempotent. Closing the fastify instance calls it too. */
  close(): Promise<void>;
}

/**
 * Mounts Bull Board at `basePath` over Herald's queues: the ingress queue and every
 * configured endpoint's, disabled ones included. With `username`, every request under
 * `basePath` (page, static files, API, unknown paths) needs Basic auth; routes outside
 * it are untouched. Throws ConfigError, mounting nothing, when the board would be
 * exposed without auth on a non-loopback host. Call it before `app.listen()`/`ready()`.
 */
export async function registerBoard(app: FastifyInstance, options: BoardOptions): Promise<Board> {
  const settings = withDefaults(options, app.log);
  checkBoardOptions(settings);
  const log = settings.logger.child({ component: 'board' });
  // Endpoints first, in config order: they are what an operator came for.
  const labelled = new Map<string, QueueLabel>(settings.endpoints.map((endpoint) => [endpointQueueName(endpoint.name), endpointLabel(endpoint)]));
  labelled.set(INGRESS_QUEUE, INGRESS_LABEL);
  const names = [...labelled.keys()];

  const connection = new BoardConnection(settings.redisUrl, log);
  const queues = names.map((name) => {
    const queue = new Queue(name, { connection: connection.redis, prefix: settings.prefix });
    // Each queue repeats the shared connection's errors, which BoardConnection logs once.
    queue.on('error', () => {});
    return queue;
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // BullMQ does not wait for a queue still connecting over a shared connection: its
      // version check would fail unhandled once the connection is gone. Let them finish.
      if (await connection.ready(REDIS_WAIT_MS)) await Promise.allSettled(queues.map((queue) => queue.waitUntilReady()));
      await Promise.allSettled(queues.map((queue) => queue.close()));
      await connection.close();
      log.info('board closed');
    })());

  const server = new FastifyAdapter();
  createBullBoard({
    queues: queues.map((queue) => {
      // The delimiter groups `endpoint.<name>` queues under "endpoint" in the side menu.
      const adapter = new BullMQAdapter(queue, { readOnlyMode: settings.readOnly, delimiter: '.', ...labelled.get(queue.name) });
      adapter.setFormatter('data', readableJobData);
      adapter.setFormatter('name', readableJobName);
      return adapter;
    }),
    serverAdapter: server,
    options: { uiConfig: { boardTitle: 'Herald', hideDocsLink: true } },
  });

  let basePath = settings.basePath;
  try {
    await app.register(
      async (scope) => {
        basePath = scope.prefix;
        server.setBasePath(basePath);
        if (settings.username !== '') {
          scope.addHook('onRequest', basicAuthHook({ username: settings.username, password: settings.password }));
        }
        // API requests wait a bounded time for Redis, then get 503: BullMQ alone would wait forever.
        scope.addHook('onRequest', async (request, reply) => {
          if (!request.routeOptions.url?.startsWith(`${basePath}/api/`) || (await connection.ready(REDIS_WAIT_MS))) return undefined;
          return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'redis is unreachable; retry later' });
        });
        // Unknown paths under basePath get this scope's hooks, so they need auth as well.
        scope.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found', message: 'no such board page' }));
        scope.addHook('onClose', close);
        await scope.register(server.registerPlugin());
      },
      { prefix: settings.basePath },
    );
  } catch (err) {
    await close();
    throw err;
  }
  log.info({ basePath, queues: names.length, readOnly: settings.readOnly, auth: settings.username !== '' }, 'board mounted');
  return { queues: names, basePath, close };
}
