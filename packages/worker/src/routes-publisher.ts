import type { EndpointConfig } from '@herald/config';
import { publishRoutes, routingTable, type RoutingTable } from '@herald/producer';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Options of RoutesPublisher. */
export interface RoutesPublisherOptions {
  /** Prefix of Herald's Redis keys. */
  prefix: string;
  /** How often to check that Redis still holds a routing table, in ms. @defaultValue 5000 */
  checkIntervalMs?: number;
  /** Component logger. */
  logger: Logger;
}

/** The routing table of a config: every enabled endpoint's name and filter, nothing secret. */
export function routesOf(endpoints: readonly EndpointConfig[]): RoutingTable {
  return routingTable(endpoints.filter((endpoint) => !endpoint.disabled).map((endpoint) => ({ name: endpoint.name, ignore: endpoint.ignore })));
}

/**
 * RoutesPublisher writes the worker's routes (each enabled endpoint's name and filter) to
 * Redis when the worker starts, so producers and ingest fan out to them from their next
 * write; the last worker started wins. Until that first write succeeds (Redis unreachable
 * at start) it tries again every few seconds; after it, it only checks that a table is
 * still there (a Redis that lost its data) and writes it again when none is.
 */
export class RoutesPublisher {
  readonly #redis: Redis | Cluster;
  readonly #table: RoutingTable;
  readonly #options: RoutesPublisherOptions;
  #published = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(redis: Redis | Cluster, endpoints: readonly EndpointConfig[], options: RoutesPublisherOptions) {
    this.#redis = redis;
    this.#table = routesOf(endpoints);
    this.#options = options;
  }

  /** Publishes the routes (or says why it could not yet), then keeps them there. */
  async start(): Promise<void> {
    await this.#publish();
    this.#timer = setInterval(() => void this.#publish(), this.#options.checkIntervalMs ?? 5000);
    this.#timer.unref();
  }

  /** Whether the routes were written since the worker started. */
  get published(): boolean {
    return this.#published;
  }

  close(): void {
    clearInterval(this.#timer);
  }

  async #publish(): Promise<void> {
    const { prefix, logger } = this.#options;
    const fields = { version: this.#table.version, endpoints: this.#table.routes.map((route) => route.name) };
    try {
      if (!this.#published) {
        await publishRoutes(this.#redis, prefix, this.#table);
        this.#published = true;
        logger.info(fields, 'routes published');
      } else if (await publishRoutes(this.#redis, prefix, this.#table, { ifAbsent: true })) {
        logger.warn(fields, 'routes were missing from redis, published again');
      }
    } catch (error) {
      if (!this.#published) logger.warn({ err: error, ...fields }, 'routes not published yet, redis unreachable; retrying');
    }
  }
}
