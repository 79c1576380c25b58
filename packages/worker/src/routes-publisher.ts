import type { EndpointConfig } from '@herald/config';
import { publishRoutes, routingTable, type RoutingTable } from '@herald/producer';
import type { Redis } from 'ioredis';
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
 * write; the last worker started wins. It then checks every few seconds that a table is
 * still there (a Redis that lost its data), and writes it again only when none is.
 */
export class RoutesPublisher {
  readonly #redis: Redis;
  readonly #table: RoutingTable;
  readonly #options: RoutesPublisherOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(redis: Redis, endpoints: readonly EndpointConfig[], options: RoutesPublisherOptions) {
    this.#redis = redis;
    this.#table = routesOf(endpoints);
    this.#options = options;
  }

  /** Publishes the routes, then starts checking that they stay. */
  async start(): Promise<void> {
    const { prefix, logger } = this.#options;
    await publishRoutes(this.#redis, prefix, this.#table);
    logger.info({ version: this.#table.version, endpoints: this.#table.routes.map((route) => route.name) }, 'routes published');
    this.#timer = setInterval(() => {
      publishRoutes(this.#redis, prefix, this.#table, { ifAbsent: true })
        .then((wrote) => wrote && logger.warn({ version: this.#table.version }, 'routes were missing from redis, published again'))
        .catch(() => {});
    }, this.#options.checkIntervalMs ?? 5000);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
