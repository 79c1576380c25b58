import type { Report } from './field-readers.js';
import { redactUrl } from './redact.js';

/** Which Redis Herald uses: one server (`redis.url`), a Redis Cluster, or a master found through Sentinel. */
export type RedisMode = 'standalone' | 'cluster' | 'sentinel';

/** When a write counts as done (`redis.durability`). */
export type RedisDurability = 'acknowledged' | 'replicated';

/** The Redis a Herald process uses (`redis.*`), checked. */
export interface RedisSettings {
  /** The one Redis of `standalone` mode, password from `redis.passwordFile` included. Secret. */
  readonly url: string;
  readonly prefix: string;
  /** Which of url, cluster or sentinel is in use: the one that is set. */
  readonly mode: RedisMode;
  /** `redis.cluster.nodes`: a few nodes of the cluster, from which the rest are learned. Secret. */
  readonly cluster: { readonly nodes: readonly string[] };
  /** `redis.sentinel.*`: the master's name and the Sentinels to ask for it. Nodes are secret. */
  readonly sentinel: { readonly name: string; readonly nodes: readonly string[] };
  /** Password of the data nodes in cluster and sentinel modes, from `redis.passwordFile`. Secret. */
  readonly password: string | undefined;
  readonly durability: RedisDurability;
}

/** The `redis` settings as convict read them, plus whether `redis.url` was given rather than defaulted. */
export interface RawRedisSettings {
  readonly url: string;
  readonly urlGiven: boolean;
  readonly prefix: string;
  readonly cluster: { readonly nodes: readonly string[] };
  readonly sentinel: { readonly name: string; readonly nodes: readonly string[] };
  readonly durability: string;
}

/**
 * Works out the mode from what is set and reports settings that contradict each other:
 * `redis.url` (given explicitly: `REDIS_URL` alone does not count, since many environments
 * set it), `redis.cluster.nodes` and `redis.sentinel.*` are exclusive, and Sentinel needs
 * both a name and nodes. `password` comes from `redis.passwordFile`.
 */
export function readRedisSettings(raw: RawRedisSettings, password: string | undefined, report: Report): RedisSettings {
  const clustered = raw.cluster.nodes.length > 0;
  const sentinel = raw.sentinel.name !== '' || raw.sentinel.nodes.length > 0;
  if (clustered && sentinel) report('redis.sentinel', 'set redis.cluster.nodes or redis.sentinel, not both');
  if ((clustered || sentinel) && raw.urlGiven) {
    report('redis.url', `set redis.url or ${clustered ? 'redis.cluster.nodes' : 'redis.sentinel'}, not both`);
  }
  if (sentinel && raw.sentinel.name === '') report('redis.sentinel.name', 'must name the master the Sentinels monitor');
  if (sentinel && raw.sentinel.nodes.length === 0) report('redis.sentinel.nodes', 'must list at least one Sentinel');
  return {
    url: raw.url,
    prefix: raw.prefix,
    mode: clustered ? 'cluster' : sentinel ? 'sentinel' : 'standalone',
    cluster: { nodes: [...raw.cluster.nodes] },
    sentinel: { name: raw.sentinel.name, nodes: [...raw.sentinel.nodes] },
    password,
    durability: raw.durability === 'replicated' ? 'replicated' : 'acknowledged',
  };
}

/** The Redis in one line, without credentials: `redis://10.0.0.1:6379`, `cluster redis://…, redis://…`, `sentinel "herald" via redis://…`. */
export function describeRedis(redis: Pick<RedisSettings, 'mode' | 'url' | 'cluster' | 'sentinel'>): string {
  if (redis.mode === 'cluster') return `cluster ${redis.cluster.nodes.map(redactUrl).join(', ')}`;
  if (redis.mode === 'sentinel') return `sentinel "${redis.sentinel.name}" via ${redis.sentinel.nodes.map(redactUrl).join(', ')}`;
  return redactUrl(redis.url);
}
