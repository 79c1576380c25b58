import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * Which Redis to connect to, as Herald's `redis.*` settings describe it: one server
 * (`url`), a Redis Cluster (`cluster.nodes`, a few of its nodes), or the master a set of
 * Sentinels names (`sentinel.name`, `sentinel.nodes`). `mode` says which is in use.
 */
export interface RedisConnectionSettings {
  readonly mode: 'standalone' | 'cluster' | 'sentinel';
  /** The server of `standalone` mode. */
  readonly url: string;
  readonly cluster: { readonly nodes: readonly string[] };
  readonly sentinel: { readonly name: string; readonly nodes: readonly string[] };
  /** Password of the data nodes in cluster and sentinel modes (a password in a node URL also works). @defaultValue none */
  readonly password?: string | undefined;
}

/**
 * When to try Redis again after losing it, in ms: 50 ms more each attempt, at most 2 s
 * (ioredis 5's default). ioredis 6's default backs off to 5 s plus jitter, so a process
 * reached Redis up to 5 s after it came back from an outage instead of within 2 s.
 */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(attempt * 50, 2000);
}

/** Host, port and credentials of a `redis://` or `rediss://` URL. */
function nodeOf(url: string): { host: string; port: number; username?: string; password?: string; tls: boolean } {
  const parsed = new URL(url);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port || 6379),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    tls: parsed.protocol === 'rediss:',
  };
}

/**
 * Options of the Cluster client: redirections and a cluster that is briefly down (a
 * failover) are retried for a while rather than failing the command at once.
 */
const CLUSTER_OPTIONS: ClusterOptions = {
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 300,
  retryDelayOnTryAgain: 200,
  maxRedirections: 32,
};

/**
 * A client for `settings` with the ioredis `options` every connection of the caller's
 * kind uses (a producer's, a worker's): a Redis for one server or a Sentinel-managed
 * master, a Cluster for a Redis Cluster. Credentials come from the URLs, or `password`.
 * Unless `given` says otherwise, it reconnects on reconnectDelayMs's schedule.
 */
export function connectRedis(settings: RedisConnectionSettings, given: RedisOptions = {}): Redis | Cluster {
  const options: RedisOptions = { retryStrategy: reconnectDelayMs, ...given };
  if (settings.mode === 'cluster') {
    const nodes = settings.cluster.nodes.map(nodeOf);
    const first = nodes[0];
    const password = settings.password ?? first?.password;
    const redisOptions: RedisOptions = {
      ...options,
      ...(first?.username === undefined ? {} : { username: first.username }),
      ...(password === undefined ? {} : { password }),
      ...(first?.tls === true ? { tls: {} } : {}),
    };
    // These two are the Cluster's own options, not its nodes'.
    const { lazyConnect, enableAutoPipelining } = options;
    return new Cluster(
      nodes.map(({ host, port }) => ({ host, port })),
      {
        ...CLUSTER_OPTIONS,
        // Reconnecting to the cluster follows the caller's schedule (a tool's: give up at once).
        clusterRetryStrategy: given.retryStrategy ?? reconnectDelayMs,
        redisOptions,
        ...(lazyConnect === undefined ? {} : { lazyConnect }),
        ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
      },
    );
  }
  if (settings.mode === 'sentinel') return new Redis(sentinelOptions(settings, options));
  return new Redis(settings.url, options);
}

/** ioredis options that find the master of `settings.sentinel` through its Sentinels, with `options` added. */
export function sentinelOptions(settings: RedisConnectionSettings, options: RedisOptions = {}): RedisOptions {
  const sentinels = settings.sentinel.nodes.map(nodeOf);
  const first = sentinels[0];
  return {
    ...options,
    name: settings.sentinel.name,
    sentinels: sentinels.map(({ host, port }) => ({ host, port })),
    ...(first?.password === undefined ? {} : { sentinelPassword: first.password }),
    ...(first?.username === undefined ? {} : { sentinelUsername: first.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(first?.tls === true ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
  };
}

/** Whether `target` is a RedisConnectionSettings rather than ioredis options. */
export function isConnectionSettings(target: object): target is RedisConnectionSettings {
  return 'mode' in target && 'cluster' in target && 'sentinel' in target;
}
