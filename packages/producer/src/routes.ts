import { createHash } from 'node:crypto';
import { acceptsEvent, type Event } from '@herald/events';
import type { Cluster, Redis } from 'ioredis';

/**
 * The routes are what an accepting process (a producer in a registry node, or ingest)
 * needs to fan an envelope out at once: each enabled endpoint's name and filter. No URL,
 * header or secret: those stay with the workers, which publish the routes from their
 * config when they start. Producers read them from Redis and check their version in
 * every write's round trip, so a change reaches every write that starts after it.
 */

/** One endpoint as accepting processes see it. */
export interface Route {
  /** The endpoint's name; its queue is `endpointQueueName(name)`. */
  readonly name: string;
  /** What it does not want (the endpoint's `ignore`). */
  readonly ignore: { readonly mediaTypes: readonly string[]; readonly actions: readonly string[] };
}

/** Every route, and a version that changes whenever any of them does. */
export interface RoutingTable {
  /** A hash of the routes: equal tables have equal versions. */
  readonly version: string;
  readonly routes: readonly Route[];
}

/** A route ready to apply: its filter compiled. */
export interface CompiledRoute extends Route {
  readonly accepts: (event: Event) => boolean;
}

/** Hash holding the routing table: fields `version` and `routes` (JSON). */
export function routesKey(prefix: string): string {
  return `${prefix}:routes`;
}

/** Set of every endpoint name ever routed: queues a config no longer names can still be found (`herald status`). */
export function knownEndpointsKey(prefix: string): string {
  return `${prefix}:routes:known`;
}

/** Makes the table of these routes, sorted by name so that the version does not depend on config order. */
export function routingTable(routes: readonly Route[]): RoutingTable {
  const sorted = [...routes]
    .map((route) => ({ name: route.name, ignore: { mediaTypes: [...route.ignore.mediaTypes].sort(), actions: [...route.ignore.actions].sort() } }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const version = createHash('sha256').update(JSON.stringify(sorted)).digest('base64url').slice(0, 16);
  return { version, routes: sorted };
}

/** Compiles each route's filter. */
export function compileRoutes(table: RoutingTable): CompiledRoute[] {
  return table.routes.map((route) => ({ ...route, accepts: acceptsEvent(route.ignore) }));
}

/**
 * Adds the table's names to the known endpoints, then writes the table (atomically:
 * version and routes in one hash). In that order, every name a producer can route to is
 * already known, without a transaction across two keys, which a Redis Cluster would
 * refuse (they sit in different slots). With `ifAbsent`, writes only when no table
 * exists (Redis lost it). Returns whether it wrote.
 */
export async function publishRoutes(redis: Redis | Cluster, prefix: string, table: RoutingTable, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
  const key = routesKey(prefix);
  if (options.ifAbsent && (await redis.exists(key)) === 1) return false;
  if (table.routes.length > 0) await redis.sadd(knownEndpointsKey(prefix), ...table.routes.map((route) => route.name));
  await redis.hset(key, 'version', table.version, 'routes', JSON.stringify(table.routes));
  return true;
}

/** Reads the published table; undefined when no worker has published one. */
export async function readRoutes(redis: Redis | Cluster, prefix: string): Promise<RoutingTable | undefined> {
  const [version, routes] = await redis.hmget(routesKey(prefix), 'version', 'routes');
  if (version == null || routes == null) return undefined;
  return { version, routes: JSON.parse(routes) as Route[] };
}

/** Every endpoint name ever routed under this prefix, sorted. */
export async function readKnownEndpoints(redis: Redis | Cluster, prefix: string): Promise<string[]> {
  return (await redis.smembers(knownEndpointsKey(prefix))).sort();
}
