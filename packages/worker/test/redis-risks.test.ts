import { Cluster, Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCluster } from '../../../test/helpers/redis-cluster.js';
import { RedisServer } from '../../../test/helpers/redis-server.js';
import { readRedisRisks, registerRedisRisks } from '../src/redis-risks.js';

describe('the risks of the Redis Herald writes to', () => {
  let risky: RedisServer;
  let safe: RedisServer;
  let managed: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    [risky, safe, managed] = await Promise.all([
      RedisServer.start({ args: ['--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'] }),
      RedisServer.start({ args: ['--appendonly', 'yes', '--maxmemory-policy', 'noeviction'] }),
      // As managed services do: CONFIG is not there to call.
      RedisServer.start({ args: ['--rename-command', 'CONFIG', '""'] }),
    ]);
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all([risky, safe, managed].map((server) => server?.destroy()));
  });

  function client(server: RedisServer): Redis {
    const redis = new Redis(server.url);
    clients.push(redis);
    return redis;
  }

  /** The herald_redis_risk samples a scrape shows, by risk. */
  async function scrape(server: RedisServer): Promise<Record<string, number>> {
    const registry = new Registry();
    registerRedisRisks(registry, client(server));
    const metric = await registry.getSingleMetric('herald_redis_risk')!.get();
    return Object.fromEntries(metric.values.map((sample) => [sample.labels['risk'], sample.value]));
  }

  it('names no AOF and an eviction policy, each with what to set', async () => {
    expect(await readRedisRisks(client(risky))).toStrictEqual([
      { risk: 'no_aof', setting: 'appendonly no', message: expect.stringContaining('a Redis restart loses every event accepted and not yet delivered; set appendonly yes') },
      { risk: 'evicts', setting: 'maxmemory-policy allkeys-lru', message: expect.stringContaining('set maxmemory-policy noeviction') },
    ]);
    expect(await scrape(risky)).toStrictEqual({ no_aof: 1, evicts: 1, no_replica: 0 });
  });

  it('names nothing when Redis keeps an AOF and never evicts', async () => {
    expect(await readRedisRisks(client(safe))).toStrictEqual([]);
    expect(await scrape(safe)).toStrictEqual({ no_aof: 0, evicts: 0, no_replica: 0 });
  });

  it('cannot tell when Redis refuses CONFIG GET, and shows no sample rather than a guess', async () => {
    expect(await readRedisRisks(client(managed))).toBeUndefined();
    expect(await scrape(managed)).toStrictEqual({});
  });

  it('names a master without a replica only when durability is replicated', async () => {
    expect(await readRedisRisks(client(safe), { replicated: true })).toStrictEqual([
      { risk: 'no_replica', setting: 'connected_slaves:0', message: expect.stringContaining('while redis.durability is replicated: every write fails until one is') },
    ]);
    expect(await readRedisRisks(client(safe), { replicated: false })).toStrictEqual([]);
  });

  it('reads every master of a Redis Cluster, naming the ones at risk', async () => {
    const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0 });
    const redis = new Cluster([{ host: '127.0.0.1', port: cluster.servers[0]!.port }], { lazyConnect: true });
    try {
      expect(await readRedisRisks(redis, { replicated: true })).toStrictEqual([
        { risk: 'no_aof', setting: 'appendonly no', message: expect.stringContaining('(appendonly no)') },
        { risk: 'no_replica', setting: 'connected_slaves:0', message: expect.stringMatching(/no replica connected \(127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+\)/) },
      ]);
      // One master with an AOF: the warning names the two without.
      const [first] = await cluster.masterPorts();
      const node = new Redis(first!, '127.0.0.1');
      await node.config('SET', 'appendonly', 'yes');
      node.disconnect();
      const [noAof] = (await readRedisRisks(redis))!;
      expect(noAof!.message).toMatch(/\(appendonly no on 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+\)/);
      expect(noAof!.message).not.toContain(`:${first}`);
    } finally {
      redis.disconnect();
      await cluster.destroy();
    }
  }, 60_000);
});
