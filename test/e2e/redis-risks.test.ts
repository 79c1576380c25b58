import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heraldEnv, HeraldProcess } from '../helpers/herald-process.js';
import { RedisServer } from '../helpers/redis-server.js';

/** `herald start` against a Redis that keeps nothing on disk and evicts: it says so, and keeps saying so. */

let redis: RedisServer;
let herald: HeraldProcess;
let base: string;

beforeAll(async () => {
  redis = await RedisServer.start({ args: ['--appendonly', 'no', '--maxmemory-policy', 'volatile-lru'] });
  herald = new HeraldProcess(['start'], heraldEnv(redis.url, 'herald-risks'));
  await herald.waitFor('health: ');
  await herald.waitFor('redis: WARNING');
  // The log records go out on stdout, asynchronously, beside the lines on stderr: wait for both.
  await herald.waitFor('"risk":"no_aof"');
  await herald.waitFor('"risk":"evicts"');
  await herald.waitFor('redis: WARNING redis evicts');
  base = /health: (http:\/\/[^/]+)\/healthz/.exec(herald.output.join(''))![1]!;
});

afterAll(async () => {
  await herald?.stop();
  await redis?.destroy();
});

describe('a Redis that puts events at risk', () => {
  it('is named at start, in a line and a log record per risk', async () => {
    const output = herald.output.join('');
    expect(output).toContain('redis: WARNING redis keeps nothing on disk (appendonly no)');
    expect(output).toContain('redis: WARNING redis evicts keys when full (maxmemory-policy volatile-lru)');
    const records = output
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"component":"redis"') && line.includes('"risk"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => [record['level'], record['risk'], record['setting']])).toStrictEqual([
      [40, 'no_aof', 'appendonly no'],
      [40, 'evicts', 'maxmemory-policy volatile-lru'],
    ]);
  });

  it('stays ready, with the risks as warnings in /readyz and as herald_redis_risk', async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; warnings?: string[] };
    expect(body.status).toBe('ready');
    expect(body.warnings).toHaveLength(2);
    expect(body.warnings![0]).toContain('set appendonly yes');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('herald_redis_risk{risk="no_aof"} 1');
    expect(metrics).toContain('herald_redis_risk{risk="evicts"} 1');
  });

  it('drops a warning as soon as Redis is fixed, without a restart', async () => {
    const client = new Redis(redis.url);
    try {
      await client.config('SET', 'maxmemory-policy', 'noeviction');
    } finally {
      client.disconnect();
    }
    const body = (await (await fetch(`${base}/readyz`)).json()) as { warnings?: string[] };
    expect(body.warnings).toStrictEqual([expect.stringContaining('appendonly no')]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('herald_redis_risk{risk="evicts"} 0');
  });
});
