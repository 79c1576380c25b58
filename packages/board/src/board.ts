import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { endpointQueueName, INGRESS_QUEUE, slotPerQueue, storedQueueName } from '@herald/producer';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { EndpointConfig } from '@herald/config';
import { basicAuthHook } from './basic-auth.js';
import { BoardConnection } from './board-connection.js';
import { checkBoardOptions, withDefaults, type BoardOptions } from './board-options.js';
import { endpointLabel, INGRESS_LABEL, type QueueLabel } from './queue-labels.js';
import { readableJobData, readableJobName } from './readable-job.js';
import { sameOriginHook } from './same-origin.js';

/** How long an API request, or close(), waits for Redis to be connected, in ms. */
const REDIS_WAIT_MS = 2000;

/** A board mounted on a fastify instance. */
export interface Board {
  /** Names of the queues shown: each endpoint's in config order, then the ingress queue. */
  readonly queues: readonly string[];
  /** Full path the board is served at, prefix of the fastify instance included, e.g. `/board`. */
  readonly basePath: string;
  /** Shows a new config's endpoints (a live reload): added ones appear, removed ones go, changed ones are relabelled. */
  setEndpoints(endpoints: readonly EndpointConfig[]): void;
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
  const connection = new BoardConnection(settings.redis, log);
  // On a Redis Cluster each queue is a hash tag; the board's labels stay the plain names.
  const perSlot = slotPerQueue(connection.redis, settings.prefix);
  /** Queue handles by name, made once and reused across reloads. */
  const queues = new Map<string, Queue>();
  const queueOf = (name: string): Queue => {
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = new Queue(storedQueueName(name, perSlot), { connection: connection.redis, prefix: settings.prefix });
      // Each queue repeats the shared connection's errors, which BoardConnection logs once.
      queue.on('error', () => {});
      queues.set(name, queue);
    }
    return queue;
  };
  /** The adapters of a config's queues: endpoints first, in config order (what an operator came for), then ingress. */
  const adaptersOf = (endpoints: readonly EndpointConfig[]) => {
    const labelled = new Map<string, QueueLabel>(endpoints.map((endpoint) => [endpointQueueName(endpoint.name), endpointLabel(endpoint)]));
    labelled.set(INGRESS_QUEUE, INGRESS_LABEL);
    return [...labelled].map(([name, label]) => {
      // The delimiter groups `endpoint.<name>` queues under "endpoint" in the side menu.
      const adapter = new BullMQAdapter(queueOf(name), { readOnlyMode: settings.readOnly, delimiter: '.', ...label });
      adapter.setFormatter('data', readableJobData);
      adapter.setFormatter('name', readableJobName);
      return adapter;
    });
  };
  let names: string[] = [];

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // BullMQ does not wait for a queue still connecting over a shared connection: its
      // version check would fail unhandled once the connection is gone. Let them finish.
      const all = [...queues.values()];
      if (await connection.ready(REDIS_WAIT_MS)) await Promise.allSettled(all.map((queue) => queue.waitUntilReady()));
      await Promise.allSettled(all.map((queue) => queue.close()));
      await connection.close();
      log.info('board closed');
    })());

  const server = new FastifyAdapter();
  const initial = adaptersOf(settings.endpoints);
  names = initial.map((adapter) => adapter.getName());
  const bullBoard = createBullBoard({
    queues: initial,
    serverAdapter: server,
    options: { uiConfig: { boardTitle: 'Herald', hideDocsLink: true } },
  });
  const setEndpoints = (endpoints: readonly EndpointConfig[]): void => {
    const adapters = adaptersOf(endpoints);
    names = adapters.map((adapter) => adapter.getName());
    bullBoard.replaceQueues(adapters);
    log.info({ queues: names.length }, 'board queues replaced');
  };

  let basePath = settings.basePath;
  try {
    await app.register(
      async (scope) => {
        basePath = scope.prefix;
        server.setBasePath(basePath);
        if (settings.username !== '') {
          scope.addHook('onRequest', basicAuthHook({ username: settings.username, password: settings.password }));
        }
        // A page of another site must not use the browser's cached login to change jobs.
        scope.addHook('onRequest', sameOriginHook);
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
  return {
    get queues() {
      return names;
    },
    basePath,
    setEndpoints,
    close,
  };
}
