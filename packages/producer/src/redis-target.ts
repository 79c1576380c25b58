import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { connectRedis, isConnectionSettings, reconnectDelayMs, type RedisConnectionSettings } from './redis-connect.js';

/**
 * Where Herald's queues live: a URL, ioredis options, Herald's `redis.*` settings (one
 * server, a Redis Cluster or Sentinel), or a client the caller owns.
 */
export type RedisTarget = string | RedisOptions | RedisConnectionSettings | Redis | Cluster;

/** A Redis client, whether Herald made it (and must close it), and where it points. */
export interface RedisHandle {
  readonly client: Redis | Cluster;
  /** Herald created the client and closes it; a client passed in is the caller's to close. */
  readonly owned: boolean;
  /** Where it connects, safe to print: no user name or password. */
  readonly where: string;
}

/**
 * Options for clients Herald creates to enqueue. The producer sends nothing until the
 * connection is ready (it waits, up to its timeout, without queuing commands), and
 * commands in flight when a connection drops are rejected rather than silently sent
 * again, so a write the caller saw fail cannot land later. ioredis's own offline queue
 * and ready check stay on: turned off, a socket dying during the handshake can leave
 * the client reporting `ready` on a dead stream for good, or reject unhandled.
 */
export const PRODUCER_REDIS_OPTIONS: RedisOptions = {
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  retryStrategy: reconnectDelayMs,
};

function describeOptions(options: RedisOptions): string {
  if (options.path) return `unix:${options.path}`;
  const scheme = options.tls ? 'rediss' : 'redis';
  const host = options.host ?? '127.0.0.1';
  const db = options.db ? `/${options.db}` : '';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${options.port ?? 6379}${db}`;
}

/** Describes where a client connects, without credentials. */
export function describeRedis(client: Redis | Cluster): string {
  if (client instanceof Cluster) {
    const nodes = client.nodes('all').map((node) => describeOptions(node.options));
    return nodes.length === 0 ? 'redis cluster' : `redis cluster ${nodes.join(',')}`;
  }
  const { sentinels, name } = client.options;
  if (sentinels !== undefined && sentinels !== null && sentinels.length > 0) {
    return `sentinel "${name ?? ''}" via ${sentinels.map((sentinel) => describeOptions({ host: sentinel.host ?? '127.0.0.1', port: sentinel.port ?? 26379 })).join(',')}`;
  }
  return describeOptions(client.options);
}

/** Turns a RedisTarget into a client, creating one with `options` when given a URL or options. */
export function openRedis(target: RedisTarget, options: RedisOptions = PRODUCER_REDIS_OPTIONS): RedisHandle {
  if (target instanceof Redis || target instanceof Cluster) {
    return { client: target, owned: false, where: describeRedis(target) };
  }
  const client =
    typeof target === 'string'
      ? new Redis(target, options)
      : isConnectionSettings(target)
        ? connectRedis(target, options)
        : new Redis({ ...options, ...target });
  return { client, owned: true, where: describeRedis(client) };
}
