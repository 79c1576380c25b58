import type { Cluster, Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';

/** A Redis setting that puts acknowledged events at risk. */
export type RedisRiskId = 'no_aof' | 'evicts';

/** What Herald tells an operator about one risky Redis setting. */
export interface RedisRisk {
  readonly risk: RedisRiskId;
  /** The setting and its value, as `CONFIG GET` shows it: `appendonly no`. */
  readonly setting: string;
  /** What can be lost and what to set instead, in one line. */
  readonly message: string;
}

/** Every risk readRedisRisks can report, for a gauge that shows 0 as well as 1. */
export const REDIS_RISK_IDS: readonly RedisRiskId[] = ['no_aof', 'evicts'];

async function configValue(redis: Redis | Cluster, name: string): Promise<string> {
  const reply = (await redis.config('GET', name)) as unknown as string[];
  return reply[1] ?? '';
}

/**
 * Reads the settings of the Redis Herald writes to and returns what they risk: no
 * append-only file (a Redis restart loses what it held), an eviction policy (a full Redis
 * deletes queued deliveries). Undefined when Redis refuses `CONFIG GET`, as managed
 * services do: then nobody can tell from here.
 */
export async function readRedisRisks(redis: Redis | Cluster): Promise<RedisRisk[] | undefined> {
  let appendonly: string;
  let policy: string;
  try {
    [appendonly, policy] = await Promise.all([configValue(redis, 'appendonly'), configValue(redis, 'maxmemory-policy')]);
  } catch {
    return undefined;
  }
  const risks: RedisRisk[] = [];
  if (appendonly === 'no') {
    risks.push({
      risk: 'no_aof',
      setting: 'appendonly no',
      message: 'redis keeps nothing on disk (appendonly no): a Redis restart loses every event accepted and not yet delivered; set appendonly yes',
    });
  }
  if (policy !== '' && policy !== 'noeviction') {
    risks.push({
      risk: 'evicts',
      setting: `maxmemory-policy ${policy}`,
      message: `redis evicts keys when full (maxmemory-policy ${policy}): it would delete queued deliveries; set maxmemory-policy noeviction`,
    });
  }
  return risks;
}

/**
 * `herald_redis_risk{risk}`: 1 while the Redis setting behind `risk` puts events at risk,
 * 0 when it does not; no sample while Redis cannot be asked. Read at each scrape.
 */
export function registerRedisRisks(registry: Registry, redis: Redis | Cluster): void {
  new Gauge({
    name: 'herald_redis_risk',
    help: 'Redis settings that put acknowledged events at risk: no_aof (appendonly no), evicts (maxmemory-policy other than noeviction).',
    labelNames: ['risk'],
    registers: [registry],
    async collect() {
      this.reset();
      const risks = await readRedisRisks(redis).catch(() => undefined);
      if (risks === undefined) return;
      for (const risk of REDIS_RISK_IDS) this.set({ risk }, risks.some((found) => found.risk === risk) ? 1 : 0);
    },
  });
}
