import { Cluster, type Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';

/** A Redis setting that puts acknowledged events at risk. */
export type RedisRiskId = 'no_aof' | 'evicts' | 'no_replica';

/** What Herald tells an operator about one risky Redis setting. */
export interface RedisRisk {
  readonly risk: RedisRiskId;
  /** The setting and its value, as `CONFIG GET` or `INFO` shows it: `appendonly no`. */
  readonly setting: string;
  /** What can be lost and what to set instead, in one line. */
  readonly message: string;
}

/** Every risk readRedisRisks can report, for a gauge that shows 0 as well as 1. */
export const REDIS_RISK_IDS: readonly RedisRiskId[] = ['no_aof', 'evicts', 'no_replica'];

/** What is read from one master. */
interface MasterSettings {
  readonly where: string;
  readonly appendonly: string;
  readonly policy: string;
  readonly replicas: number;
}

async function settingsOf(redis: Redis): Promise<MasterSettings> {
  const [appendonly, policy, replication] = await Promise.all([
    redis.config('GET', 'appendonly') as Promise<string[]>,
    redis.config('GET', 'maxmemory-policy') as Promise<string[]>,
    redis.info('replication'),
  ]);
  const replicas = Number(/^connected_slaves:(\d+)/m.exec(replication)?.[1] ?? 0);
  return { where: `${redis.options.host ?? '127.0.0.1'}:${redis.options.port ?? 6379}`, appendonly: appendonly[1] ?? '', policy: policy[1] ?? '', replicas };
}

/** `on 10.0.0.1:6379` when some masters of a cluster differ from the others, else nothing. */
function on(masters: readonly MasterSettings[], risky: readonly MasterSettings[]): string {
  return masters.length > 1 && risky.length < masters.length ? ` on ${risky.map((master) => master.where).join(', ')}` : '';
}

/**
 * Reads the settings of the Redis Herald writes to (every master of a cluster) and returns
 * what they risk: no append-only file (a Redis restart loses what it held), an eviction
 * policy (a full Redis deletes queued deliveries) and, when `replicated` durability is
 * asked for, a master without a replica (every write then fails). Undefined when Redis
 * refuses `CONFIG GET`, as managed services do: then nobody can tell from here.
 */
export async function readRedisRisks(redis: Redis | Cluster, options: { replicated?: boolean } = {}): Promise<RedisRisk[] | undefined> {
  let masters: MasterSettings[];
  try {
    // A cluster client knows its masters only once connected.
    if (redis instanceof Cluster && redis.status !== 'ready') await redis.ping();
    masters = await Promise.all((redis instanceof Cluster ? redis.nodes('master') : [redis]).map(settingsOf));
  } catch {
    return undefined;
  }
  if (masters.length === 0) return undefined;
  const risks: RedisRisk[] = [];
  const withoutAof = masters.filter((master) => master.appendonly === 'no');
  if (withoutAof.length > 0) {
    risks.push({
      risk: 'no_aof',
      setting: 'appendonly no',
      message: `redis keeps nothing on disk (appendonly no${on(masters, withoutAof)}): a Redis restart loses every event accepted and not yet delivered; set appendonly yes`,
    });
  }
  const evicting = masters.filter((master) => master.policy !== '' && master.policy !== 'noeviction');
  if (evicting.length > 0) {
    const policy = evicting[0]!.policy;
    risks.push({
      risk: 'evicts',
      setting: `maxmemory-policy ${policy}`,
      message: `redis evicts keys when full (maxmemory-policy ${policy}${on(masters, evicting)}): it would delete queued deliveries; set maxmemory-policy noeviction`,
    });
  }
  const alone = masters.filter((master) => master.replicas === 0);
  if (options.replicated === true && alone.length > 0) {
    risks.push({
      risk: 'no_replica',
      setting: 'connected_slaves:0',
      message: `redis has no replica connected (${alone.map((master) => master.where).join(', ')}) while redis.durability is replicated: every write fails until one is; add a replica or set redis.durability acknowledged`,
    });
  }
  return risks;
}

/**
 * `herald_redis_risk{risk}`: 1 while the Redis setting behind `risk` puts events at risk,
 * 0 when it does not; no sample while Redis cannot be asked. Read at each scrape.
 */
export function registerRedisRisks(registry: Registry, redis: Redis | Cluster, options: { replicated?: boolean } = {}): void {
  new Gauge({
    name: 'herald_redis_risk',
    help: 'Redis settings that put acknowledged events at risk: no_aof (appendonly no), evicts (maxmemory-policy other than noeviction), no_replica (durability replicated without a replica).',
    labelNames: ['risk'],
    registers: [registry],
    async collect() {
      this.reset();
      const risks = await readRedisRisks(redis, options).catch(() => undefined);
      if (risks === undefined) return;
      for (const risk of REDIS_RISK_IDS) this.set({ risk }, risks.some((found) => found.risk === risk) ? 1 : 0);
    },
  });
}
